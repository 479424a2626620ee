// The objects the default values render (real helm), held to what the chart README promises:
// agent and collector flags, mounts, security settings, probes and ports.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createVariantRenderer } from '../helm/chart-variants.ts';
import { chartDir, createHelmRunner, type Rendered } from '../helm/helm.ts';

type Doc = Record<string, any>;
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
afterAll(() => helm.close());
const { render } = createVariantRenderer(helm);
const values = YAML.parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Doc;
const pick = (objs: Rendered[], kind: string, suffix = ''): Doc => {
  const hit = objs.find((r) => r.obj.kind === kind && r.obj.metadata.name.endsWith(suffix));
  if (!hit) throw new Error(`no ${kind} *${suffix} rendered`);
  return hit.obj;
};

let defaults: Rendered[];
let host: Doc;
let pod: Doc;
let deployment: Doc;
let service: Doc;
beforeAll(async () => {
  defaults = await render('defaults');
  host = pick(defaults, 'DaemonSet', '-agent-host');
  pod = pick(defaults, 'DaemonSet', '-agent-pod');
  deployment = pick(defaults, 'Deployment');
  service = pick(defaults, 'Service');
});

describe('agent DaemonSets as the default values render them', () => {
  it('host agent: host network, cluster DNS from the host network, --network=host', () => {
    const spec = host.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(spec.containers[0].args).toContain('--network=host');
  });

  it('pod agent: pod network, --network=pod with the pod IP', () => {
    const spec = pod.spec.template.spec;
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.dnsPolicy).toBe('ClusterFirst');
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--network=pod', '--pod-ip=$(POD_IP)']));
    expect(spec.containers[0].env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  });

  it.each([['host'], ['pod']])(
    '%s agent: no capability, non-root 65534, read-only root, no escalation, RuntimeDefault seccomp',
    (which) => {
      const ds = which === 'host' ? host : pod;
      const spec = ds.spec.template.spec;
      const c = spec.containers[0];
      expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        runAsUser: 65534,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
      expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
      // The only listening port is the probe responder's; both probes use its TCP side.
      expect(c.readinessProbe.tcpSocket.port).toBe('probe-tcp');
      expect(c.livenessProbe.tcpSocket.port).toBe('probe-tcp');
      expect(c.ports.map((p: Doc) => `${p.name}/${p.protocol}`)).toEqual(['probe-udp/UDP', 'probe-tcp/TCP']);
      expect(ds.spec.updateStrategy.rollingUpdate.maxUnavailable).toBe(1);
      expect(spec.priorityClassName).toBeUndefined();
    },
  );

  it.each([['host'], ['pod']])(
    '%s agent: the collector address, its projected token and, with TLS, only the CA — never the server key',
    (which) => {
      const spec = (which === 'host' ? host : pod).spec.template.spec;
      const c = spec.containers[0];
      const probePort = values.agent.probePort as number;
      expect(c.args).toEqual(
        expect.arrayContaining([
          `--collector=netsentry-collector.netsentry.svc.cluster.local:${values.collector.service.grpcPort}`,
          '--node-name=$(NODE_NAME)',
          '--auth-token-file=/etc/netsentry/sa-token/token',
          '--tls-ca-file=/etc/netsentry/tls/ca.crt',
        ]),
      );
      expect(c.args.filter((a: string) => a.startsWith('--probe-listen='))).toHaveLength(1);
      expect(c.args.find((a: string) => a.startsWith('--probe-listen=')).endsWith(`:${probePort}`)).toBe(true);
      expect(c.ports.map((p: Doc) => p.containerPort)).toEqual([probePort, probePort]);
      // With the API on (the default) the agent's identity is its projected ServiceAccount token.
      expect(c.volumeMounts.map((m: Doc) => m.mountPath)).toEqual([
        '/tmp',
        '/etc/netsentry/auth',
        '/etc/netsentry/tls',
        '/etc/netsentry/sa-token',
      ]);
      expect(spec.volumes.find((v: Doc) => v.name === 'tls').secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
      expect(spec.volumes.find((v: Doc) => v.name === 'auth').secret.items).toEqual([{ key: 'token', path: 'token' }]);
    },
  );
});

describe('collector as the default values render it', () => {
  it('is non-root with a read-only root, no capability, health and readiness probes, in the host network', () => {
    const spec = deployment.spec.template.spec;
    const c = spec.containers[0];
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65534,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('runs with the Kubernetes API and the server certificate, and listens on the Service ports', () => {
    const spec = deployment.spec.template.spec;
    const args = spec.containers[0].args as string[];
    const { grpcPort, httpPort } = values.collector.service;
    expect(args.find((a) => a.startsWith('--grpc-listen='))!.endsWith(`:${grpcPort}`)).toBe(true);
    expect(args.find((a) => a.startsWith('--http-listen='))!.endsWith(`:${httpPort}`)).toBe(true);
    // With the API on (the default) agents' tokens are checked by TokenReview, not a shared token.
    expect(args).toEqual(
      expect.arrayContaining([
        '--kubernetes=on',
        '--tls-cert-file=/etc/netsentry/tls/tls.crt',
        '--tls-key-file=/etc/netsentry/tls/tls.key',
      ]),
    );
    expect(args.some((a) => a.startsWith('--auth-token-file'))).toBe(false);
    expect(spec.volumes.find((v: Doc) => v.name === 'tls').secret.items.map((i: Doc) => i.key)).toEqual(['tls.crt', 'tls.key']);
    expect(service.spec.ports.map((p: Doc) => `${p.name}:${p.port}`)).toEqual([`grpc:${grpcPort}`, `http:${httpPort}`]);
  });

  it('the Service carries the job label the ServiceMonitor reads', () => {
    expect(service.metadata.labels['netsentry.io/prometheus-job']).toBe('netsentry-collector');
  });

  it('no NetworkPolicy in the host network (none can select a host-network pod)', () => {
    expect(defaults.some((r) => r.obj.kind === 'NetworkPolicy')).toBe(false);
  });
});

describe('generated Secrets', () => {
  it('the token is 48 characters, the TLS Secret a CA and a server certificate for the Service names', async () => {
    const token = Buffer.from(pick(defaults, 'Secret', '-agent-token').data.token, 'base64').toString();
    expect(token).toMatch(/^[A-Za-z0-9]{48}$/);
    const tls = pick(defaults, 'Secret', '-collector-tls');
    expect(tls.type).toBe('kubernetes.io/tls');
    const { X509Certificate } = await import('node:crypto');
    const cert = new X509Certificate(Buffer.from(tls.data['tls.crt'], 'base64'));
    const ca = new X509Certificate(Buffer.from(tls.data['ca.crt'], 'base64'));
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.subjectAltName).toContain('DNS:netsentry-collector.netsentry.svc.cluster.local');
  });
});
