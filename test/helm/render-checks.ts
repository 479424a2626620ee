// Checks a whole render, object by object and across objects: Kubernetes schemas, names,
// labels, namespaces, and that every reference (Service → pods → ports, ServiceMonitor →
// Service, volume → Secret/ConfigMap, pod → ServiceAccount, binding → role) resolves.
// Generic on purpose: a new template's objects are covered without touching this file.
import type { Rendered } from './helm.ts';
import { schemaErrors } from './kubernetes-schemas.ts';
import { matches, podProblems, podTemplateOf } from './pod-checks.ts';

type Obj = Record<string, any>;

export interface RenderContext {
  release: string;
  namespace: string;
  /** Secrets the values name as existing (not rendered), e.g. auth.existingSecret. */
  externalSecrets?: string[];
  /** Namespaces other than the release's an object may be placed in (e.g. the dashboard's). */
  otherNamespaces?: string[];
}

const clusterScoped = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'PriorityClass',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const standardLabels = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
  'app.kubernetes.io/part-of',
  'helm.sh/chart',
];

export async function renderProblems(objects: Rendered[], ctx: RenderContext): Promise<string[]> {
  const problems: string[] = [];
  const all = objects.map((r) => r.obj);
  const id = (o: Obj) => `${o.kind}/${o.metadata?.name}`;
  const named = (kind: string, name: string) => all.find((o) => o.kind === kind && o.metadata?.name === name);
  const workloads = all.filter((o) => podTemplateOf(o));
  const seen = new Set<string>();

  for (const { obj, source } of objects) {
    const at = `${id(obj)} (${source})`;
    for (const e of await schemaErrors(obj)) problems.push(`${at}: ${e}`);
    const key = `${obj.kind}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name}`;
    if (seen.has(key)) problems.push(`${at}: rendered twice`);
    seen.add(key);
    const name: string = obj.metadata?.name ?? '';
    if (!dnsSubdomain.test(name) || name.length > 253) problems.push(`${at}: name is not a DNS subdomain`);
    if (obj.kind === 'Service' && (!dnsLabel.test(name) || name.length > 63)) problems.push(`${at}: Service name is not a DNS-1035 label`);
    const ns = obj.metadata?.namespace;
    if (clusterScoped.has(obj.kind) ? ns !== undefined : ns !== ctx.namespace && !(ctx.otherNamespaces ?? []).includes(ns))
      problems.push(`${at}: namespace ${ns}`);
    const labels: Record<string, string> = obj.metadata?.labels ?? {};
    for (const l of standardLabels) if (!labels[l]) problems.push(`${at}: label ${l} missing`);
    if (labels['app.kubernetes.io/instance'] !== ctx.release || labels['app.kubernetes.io/managed-by'] !== 'Helm')
      problems.push(`${at}: instance/managed-by labels wrong`);
    for (const [k, v] of Object.entries({ ...labels, ...(podTemplateOf(obj)?.metadata?.labels ?? {}) })) {
      if (typeof v !== 'string' || v.length > 63 || !labelValue.test(v))
        problems.push(`${at}: label ${k}=${String(v)} is not a valid label value`);
    }
    problems.push(...podProblems(obj));
  }

  for (const w of workloads) {
    const spec = podTemplateOf(w)!.spec;
    const sa = spec.serviceAccountName ?? 'default';
    if (sa !== 'default' && !named('ServiceAccount', sa)) problems.push(`${id(w)}: ServiceAccount ${sa} is not rendered`);
    // A pod gets an API token only where a rendered binding gives that account a purpose.
    const automount = spec.automountServiceAccountToken ?? named('ServiceAccount', sa)?.automountServiceAccountToken ?? true;
    const bound = all.some(
      (o) => /RoleBinding$/.test(o.kind) && (o.subjects ?? []).some((s: Obj) => s.kind === 'ServiceAccount' && s.name === sa),
    );
    if (automount !== false && !bound) problems.push(`${id(w)}: mounts an API token for ${sa}, which no binding uses`);
    for (const v of spec.volumes ?? []) {
      const secret = v.secret?.secretName;
      if (secret) {
        const rendered = named('Secret', secret);
        const issued = all.some((o) => o.kind === 'Certificate' && o.spec?.secretName === secret);
        if (!rendered && !issued && !(ctx.externalSecrets ?? []).includes(secret))
          problems.push(`${id(w)}: volume ${v.name} names Secret ${secret}, which nothing provides`);
        for (const item of v.secret.items ?? [])
          if (rendered && !(item.key in (rendered.data ?? rendered.stringData ?? {})))
            problems.push(`${id(w)}: Secret ${secret} has no key ${item.key}`);
      }
      if (v.configMap && !named('ConfigMap', v.configMap.name)) problems.push(`${id(w)}: ConfigMap ${v.configMap.name} is not rendered`);
    }
  }

  const podsOf = (selector: Record<string, string>) => workloads.filter((w) => matches(selector, podTemplateOf(w)!.metadata?.labels));
  const portsOf = (w: Obj): Obj[] => podTemplateOf(w)!.spec.containers.flatMap((c: Obj) => c.ports ?? []);
  for (const svc of all.filter((o) => o.kind === 'Service')) {
    const targets = podsOf(svc.spec?.selector ?? {});
    if (targets.length !== 1) problems.push(`${id(svc)}: selector matches ${targets.length} workloads`);
    for (const p of svc.spec?.ports ?? []) {
      const hit = targets.some((w) =>
        portsOf(w).some(
          (c) => (c.name === p.targetPort || c.containerPort === p.targetPort) && (c.protocol ?? 'TCP') === (p.protocol ?? 'TCP'),
        ),
      );
      if (!hit) problems.push(`${id(svc)}: port ${p.name} targets ${p.targetPort}, which no selected container exposes`);
    }
  }
  for (const sm of all.filter((o) => o.kind === 'ServiceMonitor')) {
    const svcs = all.filter((o) => o.kind === 'Service' && matches(sm.spec?.selector?.matchLabels, o.metadata?.labels));
    if (svcs.length !== 1) problems.push(`${id(sm)}: selector matches ${svcs.length} Services`);
    for (const s of svcs) {
      if (!(sm.spec?.namespaceSelector?.matchNames ?? []).includes(s.metadata.namespace))
        problems.push(`${id(sm)}: namespaceSelector misses ${s.metadata.namespace}`);
      for (const e of sm.spec?.endpoints ?? [])
        if (!s.spec.ports.some((p: Obj) => p.name === e.port)) problems.push(`${id(sm)}: endpoint port ${e.port} is not a Service port`);
      if (sm.spec?.jobLabel && !s.metadata.labels?.[sm.spec.jobLabel])
        problems.push(`${id(sm)}: jobLabel ${sm.spec.jobLabel} is not on the Service`);
    }
  }
  for (const np of all.filter((o) => o.kind === 'NetworkPolicy')) {
    const targets = podsOf(np.spec?.podSelector?.matchLabels ?? {});
    if (targets.length === 0) problems.push(`${id(np)}: podSelector selects no workload`);
    for (const rule of np.spec?.ingress ?? [])
      for (const p of rule.ports ?? []) {
        if (!targets.some((w) => portsOf(w).some((c) => c.containerPort === p.port || c.name === p.port)))
          problems.push(`${id(np)}: port ${p.port} is no selected container's`);
      }
  }
  for (const b of all.filter((o) => /RoleBinding$/.test(o.kind))) {
    if (!named(b.roleRef?.kind, b.roleRef?.name) && !(b.roleRef?.kind === 'ClusterRole' && b.roleRef?.name?.startsWith('system:')))
      problems.push(`${id(b)}: roleRef ${b.roleRef?.kind}/${b.roleRef?.name} is not rendered`);
    for (const s of b.subjects ?? [])
      if (s.kind === 'ServiceAccount' && !named('ServiceAccount', s.name)) problems.push(`${id(b)}: subject ${s.name} is not rendered`);
  }
  for (const role of all.filter((o) => o.kind === 'Role' || o.kind === 'ClusterRole')) {
    for (const rule of role.rules ?? []) {
      for (const field of ['apiGroups', 'resources', 'verbs'])
        if ((rule[field] ?? []).includes('*')) problems.push(`${id(role)}: wildcard in ${field}`);
      for (const verb of ['escalate', 'bind', 'impersonate'])
        if ((rule.verbs ?? []).includes(verb)) problems.push(`${id(role)}: verb ${verb}`);
    }
  }
  return problems;
}
