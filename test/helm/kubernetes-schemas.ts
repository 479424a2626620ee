// Validates rendered objects against the Kubernetes OpenAPI schemas as compiled into the
// kubernetes-models packages (core API, prometheus-operator, cert-manager). An object of a kind
// no package knows is an error: a new template needs its schema here, not a silent pass.
// The compiled validators check types, required fields, enums and formats; they do not refuse
// unknown fields (the schemas leave additionalProperties open).
import * as certManager from '@kubernetes-models/cert-manager';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import * as kubernetes from 'kubernetes-models';

interface ModelClass {
  apiVersion: string;
  kind: string;
  new (data: object): { validate(): void };
}

function collect(ns: object, into: Map<string, ModelClass>, depth = 0): Map<string, ModelClass> {
  for (const v of Object.values(ns)) {
    if (typeof v === 'function' && typeof v.apiVersion === 'string' && typeof v.kind === 'string') {
      into.set(`${v.apiVersion}/${v.kind}`, v as ModelClass);
    } else if (v && typeof v === 'object' && depth < 3) {
      collect(v, into, depth + 1);
    }
  }
  return into;
}

const models = collect(certManager, collect(prometheusOperator, collect(kubernetes, new Map())));

export function knownKinds(): string[] {
  return [...models.keys()];
}

/** Schema errors of one object; empty when it is valid. */
export function schemaErrors(obj: { apiVersion?: unknown; kind?: unknown }): string[] {
  const Model = models.get(`${String(obj.apiVersion)}/${String(obj.kind)}`);
  if (!Model) return [`no schema for ${String(obj.apiVersion)} ${String(obj.kind)}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [String((err as Error).message ?? err)];
  }
}
