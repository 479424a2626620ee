// The chart rendered by the real helm (v3.17.3) over a matrix of values: `helm lint --strict`
// passes, and every rendered object is valid against the Kubernetes schemas and passes the
// generic checks of test/helm (labels, selectors, security settings, references).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { chartVariants, createVariantRenderer, namespace } from '../helm/chart-variants.ts';
import { chartDir, createHelmRunner, type Rendered } from '../helm/helm.ts';
import { renderProblems } from '../helm/render-checks.ts';
import { parseTargetsFile } from '../../collector/src/targets/targets-file.ts';

type Obj = Record<string, any>;
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
afterAll(() => helm.close());
const { render, ctxOf } = createVariantRenderer(helm);
const variants = chartVariants;

const find = (objs: Rendered[], kind: string, suffix = ''): Obj | undefined =>
  objs.find((r) => r.obj.kind === kind && r.obj.metadata.name.endsWith(suffix))?.obj;
const kinds = (objs: Rendered[]) => objs.map((r) => r.obj.kind).sort();

describe.each(Object.keys(variants))('helm render: %s', (name) => {
  it('helm lint --strict passes', async () => {
    const { code, stdout, stderr } = await helm.lint(variants[name]!.values);
    expect(code, stdout + stderr).toBe(0);
    expect(stdout).toContain('0 chart(s) failed');
  });
  it('every object is schema-valid, labelled, selected, secured and resolves its references', async () => {
    const objs = await render(name);
    expect(objs.length).toBeGreaterThan(3);
    expect(await renderProblems(objs, ctxOf(name))).toEqual([]);
  });
});

describe('what each variant renders', () => {
  it("defaults: two DaemonSets, the collector, its Service, token and TLS Secrets, two ServiceAccounts, the collector's ClusterRole and binding", async () => {
    expect(kinds(await render('defaults'))).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'DaemonSet',
      'DaemonSet',
      'Deployment',
      'Secret',
      'Secret',
      'Service',
      'ServiceAccount',
      'ServiceAccount',
    ]);
  });
  it('collector on the pod network: a NetworkPolicy for its ports, gRPC from the pod agents and the CIDRs', async () => {
    const objs = await render('collector on the pod network');
    const policy = find(objs, 'NetworkPolicy')!;
    expect(policy.spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/component': 'agent-pod' }) } },
      { ipBlock: { cidr: '192.0.2.0/24' } },
      { ipBlock: { cidr: '198.18.0.0/15' } },
    ]);
    expect(find(objs, 'Deployment')!.spec.template.spec.hostNetwork).toBeUndefined();
  });
  it('monitoring on: ServiceMonitor, PrometheusRule and dashboard ConfigMap carry the selector labels', async () => {
    const objs = await render('monitoring on');
    expect(find(objs, 'ServiceMonitor')!.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(find(objs, 'PrometheusRule')!.metadata.labels.release).toBe('kube-prometheus-stack');
    const dashboard = find(objs, 'ConfigMap', '-dashboard')!;
    expect(dashboard.metadata).toMatchObject({
      namespace: 'monitoring',
      labels: { grafana_dashboard: '1' },
      annotations: { grafana_folder: 'Networking' },
    });
  });
  it('tls certManager: a Certificate for the Service names whose Secret the collector mounts, no generated TLS Secret', async () => {
    const objs = await render('tls certManager');
    const cert = find(objs, 'Certificate')!;
    expect(cert.spec.issuerRef).toEqual({ name: 'netsentry-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' });
    expect(cert.spec.dnsNames).toContain('netsentry-collector.netsentry.svc.cluster.local');
    expect(objs.filter((r) => r.obj.kind === 'Secret').map((r) => r.obj.metadata.name)).toEqual(['netsentry-agent-token']);
    expect(find(objs, 'Deployment')!.spec.template.spec.volumes.find((v: Obj) => v.name === 'tls').secret.secretName).toBe(
      cert.spec.secretName,
    );
  });
  it('existing Secrets: none rendered, both mounted by name', async () => {
    const objs = await render('tls and token from existing Secrets');
    expect(objs.some((r) => r.obj.kind === 'Secret')).toBe(false);
    const names = find(objs, 'DaemonSet', '-agent-host')!
      .spec.template.spec.volumes.map((v: Obj) => v.secret?.secretName)
      .filter(Boolean);
    expect(names).toEqual(['my-token', 'my-tls']);
  });
  it('tls disabled, auth off: no Secret, no token or TLS flag, nothing mounted but /tmp', async () => {
    const objs = await render('tls disabled, auth off');
    expect(objs.some((r) => r.obj.kind === 'Secret')).toBe(false);
    for (const w of objs.filter((r) => /DaemonSet|Deployment/.test(r.obj.kind))) {
      const c = w.obj.spec.template.spec.containers[0];
      expect(c.args.filter((a: string) => /--(auth|tls)-/.test(a))).toEqual([]);
      expect(c.volumeMounts.map((m: Obj) => m.mountPath)).toEqual(['/tmp']);
    }
  });
  it('long release name: names truncated but unique, no pod agent', async () => {
    const objs = await render('long release name, agents only on the host network');
    expect(objs.filter((r) => r.obj.kind === 'DaemonSet')).toHaveLength(1);
    for (const r of objs) expect(r.obj.metadata.name.length).toBeLessThanOrEqual(63);
    expect(find(objs, 'Deployment')!.spec.template.spec.serviceAccountName).toBe('sa-collector');
  });
});

describe('embedded files are the tested sources', () => {
  it('targets: a ConfigMap the collector parses as its --targets-file, mounted as a directory and passed as the flag', async () => {
    const objs = await render('targets file (Services probed from every node)');
    const configMap = find(objs, 'ConfigMap', '-targets')!;
    const specs = parseTargetsFile(configMap.data['targets.yaml']);
    expect(specs.map((t) => t.name)).toEqual(['default/web', 'kube-system/kube-dns']);
    const pod = find(objs, 'Deployment')!.spec.template.spec;
    expect(pod.containers[0].args).toContain('--targets-file=/etc/netsentry/targets/targets.yaml');
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'targets', mountPath: '/etc/netsentry/targets', readOnly: true });
    expect(pod.volumes).toContainEqual({ name: 'targets', configMap: { name: configMap.metadata.name } });
    expect(find(await render('defaults'), 'ConfigMap', '-targets')).toBeUndefined();
  });
  it('the dashboard ConfigMap holds files/netsentry-dashboard.json byte for byte', async () => {
    const data = find(await render('monitoring on'), 'ConfigMap', '-dashboard')!.data;
    expect(Object.keys(data)).toEqual(['netsentry-dashboard.json']);
    expect(data['netsentry-dashboard.json']).toBe(readFileSync(join(chartDir, 'files/netsentry-dashboard.json'), 'utf8').trimEnd());
  });
  it('the PrometheusRule spec with default values is files/netsentry-alerts.yaml', async () => {
    const rule = find(await render('monitoring on'), 'PrometheusRule')!;
    expect(rule.spec).toEqual(YAML.parse(readFileSync(join(chartDir, 'files/netsentry-alerts.yaml'), 'utf8')));
  });
});

describe('the render checks can fail', () => {
  type Mutation = [string, (objs: Obj[]) => void, RegExp];
  const of = (objs: Obj[], kind: string, suffix = '') => objs.find((o) => o.kind === kind && o.metadata.name.endsWith(suffix))!;
  const hostSpec = (objs: Obj[]) => of(objs, 'DaemonSet', '-agent-host').spec.template.spec;
  const mutations: Mutation[] = [
    [
      'an added capability',
      (o) => (hostSpec(o).containers[0].securityContext.capabilities.add = ['NET_ADMIN']),
      /adds capabilities NET_ADMIN/,
    ],
    [
      'a writable root file system',
      (o) => (hostSpec(o).containers[0].securityContext.readOnlyRootFilesystem = false),
      /root file system is writable/,
    ],
    [
      'a port number as a string (schema)',
      (o) => (hostSpec(o).containers[0].ports[0].containerPort = 'seven'),
      /containerPort must be integer/,
    ],
    [
      'a Service targeting a missing port',
      (o) => (of(o, 'Service').spec.ports[1].targetPort = 'metrics'),
      /targets metrics, which no selected container exposes/,
    ],
    [
      'a selector that misses its pods',
      (o) => (of(o, 'Deployment').spec.selector.matchLabels['app.kubernetes.io/component'] = 'other'),
      /selector does not match the pod template labels/,
    ],
    [
      'a version label in a selector',
      (o) => {
        const d = of(o, 'Deployment');
        d.spec.selector.matchLabels['helm.sh/chart'] = d.spec.template.metadata.labels['helm.sh/chart'];
      },
      /selector holds helm.sh\/chart/,
    ],
    [
      'a missing standard label',
      (o) => delete of(o, 'ServiceAccount').metadata.labels['app.kubernetes.io/part-of'],
      /label app.kubernetes.io\/part-of missing/,
    ],
    [
      'an unknown kind',
      (o) => o.push({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace } }),
      /no schema for example.com\/v1 Widget/,
    ],
    ['an API token nothing binds', (o) => (hostSpec(o).automountServiceAccountToken = true), /mounts an API token/],
    [
      'a Secret nothing provides',
      (o) => (hostSpec(o).volumes.find((v: Obj) => v.name === 'auth').secret.secretName = 'gone'),
      /names Secret gone, which nothing provides/,
    ],
    [
      'a wildcard Role',
      (o) =>
        o.push({
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'r', labels: of(o, 'Deployment').metadata.labels },
          rules: [{ apiGroups: [''], resources: ['*'], verbs: ['get'] }],
        }),
      /wildcard in resources/,
    ],
    ['a wrong namespace', (o) => (of(o, 'Service').metadata.namespace = 'default'), /namespace default/],
  ];
  it.each(mutations)('%s is reported', async (_what, mutate, expected) => {
    const objs = structuredClone(await render('defaults')).map((r) => r.obj);
    mutate(objs);
    const problems = await renderProblems(
      objs.map((obj) => ({ source: 'mutated', obj })),
      ctxOf('defaults'),
    );
    expect(problems.join('\n')).toMatch(expected);
  });
});
