// Chart options operators expect (issue 17), each checked on real helm renders: collector
// strategy, labels, environment, image digests, ServiceMonitor relabelings, listen address,
// default ports, the Pod Security level and what NOTES.txt says about it.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { chartDir, createHelmRunner, type Rendered } from '../helm/helm.ts';
import { podTemplateOf } from '../helm/pod-checks.ts';
import { podSecurityLevel, podSecurityViolations } from '../helm/pod-security.ts';
import { renderProblems } from '../helm/render-checks.ts';

type Obj = Record<string, any>;
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
const temp = mkdtempSync(join(tmpdir(), 'netsentry-chart-options-'));
afterAll(() => {
  helm.close();
  rmSync(temp, { recursive: true, force: true });
});
const pick = (objs: Rendered[], kind: string, suffix = ''): Obj =>
  objs.find((r) => r.obj.kind === kind && r.obj.metadata.name.endsWith(suffix))!.obj;
const workloads = (objs: Rendered[]) => objs.filter((r) => podTemplateOf(r.obj)).map((r) => r.obj);
const levels = ['restricted', 'baseline', 'privileged'] as const;
const highest = (objs: Rendered[]) =>
  levels[Math.max(...workloads(objs).map((w) => levels.indexOf(podSecurityLevel(podTemplateOf(w)!.spec))))];

/** NOTES.txt rendered offline: `helm template` skips NOTES, so a copy of the chart renders it into a ConfigMap. */
async function notes(values: object): Promise<string> {
  const dir = mkdtempSync(join(temp, 'chart-'));
  cpSync(chartDir, dir, { recursive: true });
  writeFileSync(
    join(dir, 'templates', '_notes-under-test.tpl'),
    `{{- define "notes-under-test" }}${readFileSync(join(chartDir, 'templates', 'NOTES.txt'), 'utf8')}{{- end }}`,
  );
  writeFileSync(
    join(dir, 'templates', 'notes-under-test.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "notes-under-test" . | toJson }}\n',
  );
  const objs = await helm.template(values, { chart: dir, namespace: 'netsentry' });
  return pick(objs, 'ConfigMap', 'notes').data.notes as string;
}

describe('collector Deployment strategy', () => {
  it("Recreate in the host network (the new pod needs the old one's ports on that node)", async () => {
    expect(pick(await helm.template({}), 'Deployment').spec.strategy).toEqual({ type: 'Recreate' });
  });
  it('RollingUpdate without unavailability on the pod network, and an explicit strategy wins', async () => {
    expect(pick(await helm.template({ collector: { hostNetwork: false } }), 'Deployment').spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(
      pick(await helm.template({ collector: { strategy: { type: 'Recreate' }, hostNetwork: false } }), 'Deployment').spec.strategy,
    ).toEqual({ type: 'Recreate' });
  });
});

describe('labels, environment, images, relabelings', () => {
  const values = {
    commonLabels: { team: 'network' },
    agent: { podLabels: { tier: 'agent' }, extraEnv: [{ name: 'NETSENTRY_VERIFY_INTERVAL', value: '15s' }] },
    collector: { podLabels: { tier: 'collector' }, extraEnv: [{ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' }] },
    image: { agentDigest: `sha256:${'a'.repeat(64)}`, collectorDigest: `sha256:${'b'.repeat(64)}` },
    serviceMonitor: {
      enabled: true,
      relabelings: [{ targetLabel: 'cluster', replacement: 'eu-1' }],
      metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'netsentry_probe_.*', action: 'drop' }],
    },
    prometheusRule: { enabled: true },
  };
  it('render valid, and every object and pod carries commonLabels; podLabels only on pods, never in a selector', async () => {
    const objs = await helm.template(values);
    expect(await renderProblems(objs, { release: 'netsentry', namespace: 'netsentry' })).toEqual([]);
    for (const r of objs) expect(r.obj.metadata.labels.team, `${r.obj.kind}/${r.obj.metadata.name}`).toBe('network');
    for (const w of workloads(objs)) {
      expect(w.spec.template.metadata.labels.team).toBe('network');
      expect(w.spec.template.metadata.labels.tier).toBe(w.kind === 'Deployment' ? 'collector' : 'agent');
      expect(Object.keys(w.spec.selector.matchLabels)).not.toContain('tier');
      expect(Object.keys(w.spec.selector.matchLabels)).not.toContain('team');
    }
  });
  it("extraEnv is appended to each container's env; digests pin the images", async () => {
    const objs = await helm.template(values);
    const host = pick(objs, 'DaemonSet', '-agent-host').spec.template.spec.containers[0];
    expect(host.env.map((e: Obj) => e.name)).toEqual(['NODE_NAME', 'NETSENTRY_VERIFY_INTERVAL']);
    expect(host.image).toBe(`ghcr.io/netsentry/netsentry-agent:0.1.0@sha256:${'a'.repeat(64)}`);
    const collector = pick(objs, 'Deployment').spec.template.spec.containers[0];
    // First the collector's own HTTP address for the CLI in its image, then extraEnv.
    expect(collector.env).toEqual([
      { name: 'NETSENTRY_COLLECTOR', value: 'http://127.0.0.1:9746' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=384' },
    ]);
    expect(collector.image).toBe(`ghcr.io/netsentry/netsentry-collector:0.1.0@sha256:${'b'.repeat(64)}`);
  });
  it('priorityClassName for the agents and the collector', async () => {
    const objs = await helm.template({
      agent: { priorityClassName: 'system-node-critical' },
      collector: { priorityClassName: 'system-cluster-critical' },
    });
    for (const ds of objs.filter((r) => r.obj.kind === 'DaemonSet'))
      expect(ds.obj.spec.template.spec.priorityClassName).toBe('system-node-critical');
    expect(pick(objs, 'Deployment').spec.template.spec.priorityClassName).toBe('system-cluster-critical');
  });
  it('ServiceMonitor carries the relabelings', async () => {
    const endpoint = pick(await helm.template(values), 'ServiceMonitor').spec.endpoints[0];
    expect(endpoint.relabelings).toEqual(values.serviceMonitor.relabelings);
    expect(endpoint.metricRelabelings).toEqual(values.serviceMonitor.metricRelabelings);
  });
  it('a digest that is not sha256 is refused by the schema', async () => {
    const { code } = await helm.lint({ image: { agentDigest: 'latest' } });
    expect(code).not.toBe(0);
  });
});

describe('one agent per node (hostAgent.podNetworkProbes)', () => {
  const agentArgs = (objs: Rendered[], suffix: string): string[] | undefined =>
    objs.find((r) => r.obj.kind === 'DaemonSet' && r.obj.metadata.name.endsWith(suffix))?.obj.spec.template.spec.containers[0].args;
  it('pod-agent by default: both DaemonSets, the host agent told so', async () => {
    const objs = await helm.template({});
    expect(agentArgs(objs, '-agent-host')).toContain('--pod-network-probes=pod-agent');
    expect(agentArgs(objs, '-agent-pod')).toContain('--network=pod');
  });
  it('via-overlay: no pod DaemonSet, the host agent answers for the pod network (with the resolver given) and NOTES.txt says so', async () => {
    const values = { hostAgent: { podNetworkProbes: 'via-overlay' }, podAgent: { dnsServer: '198.19.0.10:53' } };
    const objs = await helm.template(values);
    expect(await renderProblems(objs, { release: 'netsentry', namespace: 'netsentry' })).toEqual([]);
    expect(agentArgs(objs, '-agent-pod')).toBeUndefined();
    expect(agentArgs(objs, '-agent-host')).toEqual(
      expect.arrayContaining(['--network=host', '--pod-network-probes=via-overlay', '--dns-server=198.19.0.10:53']),
    );
    expect(await notes(values)).toMatch(/pod network: +answered and probed by the host agent through the overlay/);
  });
  it('a mode the agent does not know is refused by the schema', async () => {
    const { code } = await helm.lint({ hostAgent: { podNetworkProbes: 'both' } });
    expect(code).not.toBe(0);
    expect((await helm.lint({ hostAgent: { podNetworkProbes: 'via-overlay' } })).code).toBe(0);
  });
});

describe('listeners and ports', () => {
  const flags = (objs: Rendered[]) =>
    workloads(objs)
      .flatMap((w) => w.spec.template.spec.containers[0].args as string[])
      .filter((a) => /-listen=/.test(a));
  it('listen on [::] by default (IPv6 and dual-stack IPv4), on 0.0.0.0 when asked', async () => {
    const ipv6 = flags(await helm.template({}));
    expect(ipv6.length).toBe(4);
    for (const f of ipv6) expect(f).toMatch(/=\[::\]:\d+$/);
    for (const f of flags(await helm.template({ listenAddress: '0.0.0.0' }))) expect(f).toMatch(/=0\.0\.0\.0:\d+$/);
  });
  it("default ports avoid 8080 and memberlist's 7946", async () => {
    const ports = workloads(await helm.template({})).flatMap((w) =>
      w.spec.template.spec.containers[0].ports.map((p: Obj) => p.containerPort),
    );
    expect(ports).not.toContain(8080);
    expect(ports).not.toContain(7946);
  });
});

describe('Pod Security Standards level', () => {
  it('the evaluator sees a host-network pod as privileged, a hardened pod as restricted, a missing drop ALL as baseline', () => {
    const hardened = {
      securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
      containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
      volumes: [{ name: 't', emptyDir: {} }],
    };
    expect(podSecurityLevel(hardened)).toBe('restricted');
    expect(podSecurityLevel({ ...hardened, hostNetwork: true })).toBe('privileged');
    expect(
      podSecurityViolations({ ...hardened, containers: [{ name: 'c', securityContext: { allowPrivilegeEscalation: false } }] }).restricted,
    ).toEqual(['c: does not drop ALL']);
  });
  it('defaults need "privileged" (host network), and NOTES.txt says so with the label command', async () => {
    const objs = await helm.template({});
    expect(highest(objs)).toBe('privileged');
    expect(podSecurityLevel(pick(objs, 'DaemonSet', '-agent-pod').spec.template.spec)).toBe('restricted');
    const text = await notes({});
    expect(text).toContain('must allow the "privileged" level');
    expect(text).toContain('kubectl label namespace netsentry pod-security.kubernetes.io/enforce=privileged');
  });
  it('without the host agent and with the collector on the pod network every pod meets "restricted", as NOTES.txt says', async () => {
    const values = { hostAgent: { enabled: false }, collector: { hostNetwork: false } };
    expect(highest(await helm.template(values))).toBe('restricted');
    expect(await notes(values)).toContain('must allow the "restricted" level');
  });
});

describe('kube-rbac-proxy in front of the HTTP port', () => {
  const values = {
    collector: { kubeRbacProxy: { enabled: true }, hostNetwork: false },
    serviceMonitor: { enabled: true },
    kubernetes: { enabled: false },
  };
  it('off by default: one container, the HTTP port served by the collector itself', async () => {
    const objs = await helm.template({});
    expect(pick(objs, 'Deployment').spec.template.spec.containers.map((c: Obj) => c.name)).toEqual(['collector']);
    expect(objs.some((r) => r.obj.metadata.name.endsWith('-http-reader'))).toBe(false);
  });
  it('on: the collector listens on 127.0.0.1, the Service, probes, ServiceMonitor and NetworkPolicy go to the proxy, and RBAC lets it review', async () => {
    const objs = await helm.template(values);
    expect(await renderProblems(objs, { release: 'netsentry', namespace: 'netsentry' })).toEqual([]);
    const pod = pick(objs, 'Deployment').spec.template.spec;
    const [collector, proxy] = pod.containers as Obj[];
    expect(collector!.args).toContain('--http-listen=127.0.0.1:9746');
    expect(proxy!.name).toBe('kube-rbac-proxy');
    expect(proxy!.args).toEqual(
      expect.arrayContaining([
        '--secure-listen-address=[::]:9747',
        '--upstream=http://127.0.0.1:9746/',
        '--ignore-paths=/healthz,/readyz,/,/page/*',
      ]),
    );
    expect(collector!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 9747, scheme: 'HTTPS' });
    // The proxy's API calls need a token even with the collector's own API use off.
    expect(pod.automountServiceAccountToken).toBe(true);
    expect(pick(objs, 'Service').spec.ports.find((p: Obj) => p.name === 'http')).toMatchObject({
      port: 9747,
      targetPort: 'https',
      appProtocol: 'https',
    });
    expect(pick(objs, 'ServiceMonitor').spec.endpoints[0]).toMatchObject({
      scheme: 'https',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tlsConfig: { insecureSkipVerify: true },
    });
    expect(pick(objs, 'NetworkPolicy').spec.ingress[1].ports[0].port).toBe(9747);
    expect(pick(objs, 'ClusterRole', '-kube-rbac-proxy').rules.map((r: Obj) => r.resources[0])).toEqual([
      'tokenreviews',
      'subjectaccessreviews',
    ]);
    expect(pick(objs, 'ClusterRole', '-http-reader').rules).toEqual([{ nonResourceURLs: ['/metrics', '/api/v1/*'], verbs: ['get'] }]);
    expect(podSecurityLevel(pod)).toBe('restricted');
  });
  it('an open path under /api is refused by the schema (the data must stay behind the proxy)', async () => {
    const { code, stderr } = await helm.lint({
      collector: { kubeRbacProxy: { enabled: true, openPaths: ['/healthz', '/api/v1/findings'] } },
    });
    expect(code).not.toBe(0);
    expect(
      stderr + (await helm.lint({ collector: { kubeRbacProxy: { enabled: true, openPaths: ['/healthz', '/metrics'] } } })).code,
    ).toMatch(/0$/);
  });
});
