// The Pod Security Standards level a pod spec meets (kubernetes.io/docs/concepts/security/
// pod-security-standards), for the checks the chart's pods can trip. Not a full admission
// implementation: enough to state which namespace label the chart needs, and to test it.
type Obj = Record<string, any>;
export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

const restrictedVolumes = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Why a pod spec is above `baseline` (needs `privileged`), and why above `restricted` (needs `baseline`). */
export function podSecurityViolations(spec: Obj): { baseline: string[]; restricted: string[] } {
  const baseline: string[] = [];
  const restricted: string[] = [];
  const containers: Obj[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const key of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[key]) baseline.push(`${key}: true`);
  for (const v of spec.volumes ?? []) {
    if (v.hostPath) baseline.push(`hostPath volume ${v.name}`);
    const type = Object.keys(v).find((k) => k !== 'name');
    if (type && !restrictedVolumes.has(type)) restricted.push(`volume type ${type}`);
  }
  const pod = spec.securityContext ?? {};
  if (pod.seccompProfile?.type === 'Unconfined') baseline.push('seccomp Unconfined');
  for (const c of containers) {
    const sc = c.securityContext ?? {};
    if (sc.privileged) baseline.push(`${c.name}: privileged`);
    if ((c.ports ?? []).some((p: Obj) => p.hostPort)) baseline.push(`${c.name}: hostPort`);
    const added: string[] = sc.capabilities?.add ?? [];
    if (added.some((cap) => cap !== 'NET_BIND_SERVICE')) baseline.push(`${c.name}: adds ${added.join(',')}`);
    if (sc.allowPrivilegeEscalation !== false) restricted.push(`${c.name}: allowPrivilegeEscalation not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) restricted.push(`${c.name}: does not drop ALL`);
    if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) restricted.push(`${c.name}: runAsNonRoot not true`);
    if ((sc.runAsUser ?? pod.runAsUser) === 0) restricted.push(`${c.name}: runAsUser 0`);
    const seccomp = sc.seccompProfile?.type ?? pod.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') restricted.push(`${c.name}: seccomp not RuntimeDefault`);
  }
  return { baseline, restricted };
}

export function podSecurityLevel(spec: Obj): PodSecurityLevel {
  const v = podSecurityViolations(spec);
  if (v.baseline.length) return 'privileged';
  return v.restricted.length ? 'baseline' : 'restricted';
}
