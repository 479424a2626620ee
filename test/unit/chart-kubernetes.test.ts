// The chart with the Kubernetes API as the collector's source of truth (kubernetes.* values),
// on real helm renders: exactly the RBAC the collector needs, its flags and token, and the
// agents' projected ServiceAccount token; and the standalone form without any of it.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createHelmRunner, type Rendered } from '../helm/helm.ts';

type Obj = Record<string, any>;
const helm = createHelmRunner();
vi.setConfig({ testTimeout: 60_000 });
afterAll(() => helm.close());

const all = (objs: Rendered[], kind: string): Obj[] => objs.filter((r) => r.obj.kind === kind).map((r) => r.obj);
const one = (objs: Rendered[], kind: string, suffix = ''): Obj =>
  objs.find((r) => r.obj.kind === kind && r.obj.metadata.name.endsWith(suffix))!.obj;

describe('chart: the Kubernetes API (defaults)', () => {
  it('one ClusterRole with exactly nodes, services, endpointslices get/list/watch, nodes/status patch, events create, tokenreviews create, bound to the collector only', async () => {
    const objs = await helm.template({});
    expect(all(objs, 'Role')).toEqual([]);
    expect(all(objs, 'RoleBinding')).toEqual([]);
    const [role] = all(objs, 'ClusterRole');
    expect(all(objs, 'ClusterRole')).toHaveLength(1);
    expect(role!.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    ]);
    const [binding] = all(objs, 'ClusterRoleBinding');
    expect(binding!.roleRef.name).toBe(role!.metadata.name);
    const collectorPod = one(objs, 'Deployment').spec.template.spec;
    expect(binding!.subjects).toEqual([{ kind: 'ServiceAccount', name: collectorPod.serviceAccountName, namespace: 'netsentry' }]);
  });

  it('the collector runs with the API, reviews agent tokens and writes back; agents present a projected token for audience netsentry', async () => {
    const objs = await helm.template({});
    const collector = one(objs, 'Deployment').spec.template.spec;
    expect(collector.automountServiceAccountToken).toBe(true);
    expect(collector.containers[0].args).toEqual(
      expect.arrayContaining(['--kubernetes=on', '--token-audience=netsentry', '--write-back=on', '--kubernetes-targets=true']),
    );
    expect(collector.containers[0].args.some((a: string) => a.startsWith('--auth-token-file'))).toBe(false);
    for (const ds of all(objs, 'DaemonSet')) {
      const spec = ds.spec.template.spec;
      expect(spec.containers[0].args, ds.metadata.name).toContain('--auth-token-file=/etc/netsentry/sa-token/token');
      expect(spec.volumes.find((v: Obj) => v.name === 'sa-token').projected.sources).toEqual([
        { serviceAccountToken: { audience: 'netsentry', expirationSeconds: 3600, path: 'token' } },
      ]);
      expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'sa-token', mountPath: '/etc/netsentry/sa-token', readOnly: true });
    }
  });

  it('targets off drops services and endpointslices and turns the flag off', async () => {
    const objs = await helm.template({ kubernetes: { targets: false } });
    const [role] = all(objs, 'ClusterRole');
    expect(role!.rules.map((r: Obj) => r.resources[0])).toEqual(['nodes', 'nodes/status', 'events', 'tokenreviews']);
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].args).toContain('--kubernetes-targets=false');
  });

  it('write-back off drops the write permissions; node identity off returns to the shared token', async () => {
    const objs = await helm.template({ kubernetes: { writeBack: false, nodeIdentity: false, targets: false } });
    const [role] = all(objs, 'ClusterRole');
    expect(role!.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] }]);
    expect(one(objs, 'Deployment').spec.template.spec.containers[0].args).not.toContain('--write-back=on');
    for (const ds of all(objs, 'DaemonSet'))
      expect(ds.spec.template.spec.containers[0].args).toContain('--auth-token-file=/etc/netsentry/auth/token');
  });

  it('standalone (kubernetes.enabled false): no RBAC, no API token in any pod, the shared token', async () => {
    const objs = await helm.template({ kubernetes: { enabled: false } });
    expect(all(objs, 'ClusterRole')).toEqual([]);
    expect(all(objs, 'ClusterRoleBinding')).toEqual([]);
    const collector = one(objs, 'Deployment').spec.template.spec;
    expect(collector.automountServiceAccountToken).toBe(false);
    expect(collector.containers[0].args).toEqual(
      expect.arrayContaining(['--kubernetes=off', '--auth-token-file=/etc/netsentry/auth/token']),
    );
    expect(collector.containers[0].args.some((a: string) => a.startsWith('--kubernetes-targets'))).toBe(false);
  });
});
