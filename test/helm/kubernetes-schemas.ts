// Validates rendered objects against the Kubernetes OpenAPI schemas as compiled into the
// kubernetes-models packages (core API, prometheus-operator, cert-manager). An object of a kind
// no package knows is an error: a new template needs its schema here, not a silent pass.
// The compiled validators check types, required fields, enums and formats; they do not refuse
// unknown fields (the schemas leave additionalProperties open).
//
// Each model is imported on demand (one module and its schema chain): importing the packages'
// indexes loads thousands of modules and blocks a test worker for many seconds.

interface ModelClass {
  new (data: object): { validate(): void };
}

/** Which package holds an API group's models; the core group is "". */
function packageOf(group: string): string | undefined {
  if (group === 'monitoring.coreos.com') return '@kubernetes-models/prometheus-operator';
  if (group === 'cert-manager.io' || group.endsWith('.cert-manager.io')) return '@kubernetes-models/cert-manager';
  if (group === '' || group.endsWith('.k8s.io') || ['apps', 'batch', 'policy', 'autoscaling'].includes(group)) return 'kubernetes-models';
  return undefined;
}

const models = new Map<string, Promise<ModelClass | undefined>>();

function modelFor(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  const key = `${apiVersion}/${kind}`;
  let model = models.get(key);
  if (!model) {
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/', 2) as [string, string]) : ['', apiVersion];
    const pkg = packageOf(group);
    // Kinds and versions become module paths: only plain identifiers get that far.
    const plain = /^[A-Z][A-Za-z0-9]*$/.test(kind) && /^v[0-9a-z]+$/.test(version) && /^[a-z0-9.-]*$/.test(group);
    model =
      !pkg || !plain
        ? Promise.resolve(undefined)
        : import(group ? `${pkg}/${group}/${version}/${kind}` : `${pkg}/${version}/${kind}`).then(
            (mod: Record<string, unknown>) => mod[kind] as ModelClass | undefined,
            () => undefined,
          );
    models.set(key, model);
  }
  return model;
}

/** Schema errors of one object; empty when it is valid. */
export async function schemaErrors(obj: { apiVersion?: unknown; kind?: unknown }): Promise<string[]> {
  const Model = await modelFor(String(obj.apiVersion), String(obj.kind));
  if (!Model) return [`no schema for ${String(obj.apiVersion)} ${String(obj.kind)}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (err) {
    return [String((err as Error).message ?? err)];
  }
}
