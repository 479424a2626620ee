// Checks every pod template a render holds (Deployment, DaemonSet, StatefulSet, Job, CronJob)
// for the settings the chart promises: non-root, no capability, no escalation, read-only root,
// RuntimeDefault seccomp, resources, pinned images, selectors that match, mounts that resolve.
type Obj = Record<string, any>;

const podKinds = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job']);
/** Labels whose values change on every chart or app upgrade: in a selector they would make it immutable-breaking. */
export const volatileLabels = ['helm.sh/chart', 'app.kubernetes.io/version'];

export function podTemplateOf(obj: Obj): Obj | undefined {
  if (podKinds.has(obj.kind)) return obj.spec?.template;
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template;
  return undefined;
}

export function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export function podProblems(obj: Obj): string[] {
  const template = podTemplateOf(obj);
  if (!template) return [];
  const at = `${obj.kind}/${obj.metadata?.name}`;
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${at}: ${what}`);
  const spec = template.spec ?? {};
  const pod = spec.securityContext ?? {};

  if (obj.kind !== 'Job' && obj.kind !== 'CronJob') {
    const selector = obj.spec?.selector?.matchLabels as Record<string, string> | undefined;
    if (!matches(selector, template.metadata?.labels)) fail('selector does not match the pod template labels');
    for (const l of volatileLabels)
      if (selector && l in selector) fail(`selector holds ${l}, which changes on upgrade (selectors are immutable)`);
  }
  if (pod.runAsNonRoot !== true) fail('pod securityContext.runAsNonRoot is not true');
  if (pod.seccompProfile?.type !== 'RuntimeDefault') fail('pod seccompProfile is not RuntimeDefault');
  for (const key of ['hostPID', 'hostIPC']) if (spec[key]) fail(`${key} is set`);

  const volumes = new Map<string, Obj>((spec.volumes ?? []).map((v: Obj) => [v.name, v]));
  for (const v of volumes.values()) if (v.hostPath) fail(`volume ${v.name} is a hostPath`);
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Obj[]) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.allowPrivilegeEscalation !== false) fail(`${where}: allowPrivilegeEscalation is not false`);
    if (sc.privileged) fail(`${where}: privileged`);
    if (sc.readOnlyRootFilesystem !== true) fail(`${where}: root file system is writable`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(`${where}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).length) fail(`${where}: adds capabilities ${sc.capabilities.add}`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true || (sc.runAsUser ?? pod.runAsUser) === 0) fail(`${where}: may run as root`);
    if (!/(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$/.test(c.image ?? '') || /:latest$/.test(c.image))
      fail(`${where}: image ${c.image} has no pinned tag or digest`);
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory || !c.resources?.limits?.memory)
      fail(`${where}: no cpu/memory request or memory limit`);
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) fail(`${where}: mount ${m.name} has no volume`);
    const portNames = (c.ports ?? []).map((p: Obj) => p.name).filter(Boolean);
    if (new Set(portNames).size !== portNames.length) fail(`${where}: duplicate port names`);
    for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe].filter(Boolean)) {
      const port = probe.tcpSocket?.port ?? probe.httpGet?.port ?? probe.grpc?.port;
      if (typeof port === 'string' && !portNames.includes(port)) fail(`${where}: probe port ${port} is not a container port`);
    }
  }
  return problems;
}
