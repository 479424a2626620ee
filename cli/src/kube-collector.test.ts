// The real @kubernetes/client-node kubeconfig handling against an API-server double (HTTPS,
// bearer token, CA from the kubeconfig, tls-server-name): discovery of the collector's
// Service and every request through the service proxy.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import {
  startKubeServiceProxyDouble,
  type DoubleService,
  type KubeServiceProxyDouble,
} from '../../test/harness/kube-service-proxy-double.ts';
import { createTestPki, type TestPki } from '../../test/harness/test-pki.ts';
import { collectorServiceSelector } from './kube-collector.ts';
import { runCli } from './run-cli.ts';
import { fakeFetch, nowMs, rootFinding } from '../../test/fixtures/cli-fixtures.ts';

const chartLabels = Object.fromEntries(collectorServiceSelector.split(',').map((t) => t.split('=') as [string, string]));

let pki: TestPki;
let upstream: Server;
let upstreamUrl: string;
const doubles: KubeServiceProxyDouble[] = [];

beforeAll(async () => {
  pki = await createTestPki();
  // The collector behind the proxy: answers like the collector's API (seed 002 open).
  const answer = fakeFetch({ findings: [rootFinding] });
  upstream = createServer(async (req, res) => {
    const response = await answer(`http://upstream${req.url}`);
    res.writeHead(response.status, { 'content-type': response.headers.get('content-type') ?? 'text/plain' });
    res.end(await response.text());
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await Promise.all(doubles.map((d) => d.close()));
  await new Promise((resolve) => upstream?.close(resolve));
  await pki?.remove();
});

const service = (namespace: string, name = 'netsentry-collector', ports = ['grpc', 'http']): DoubleService => ({
  namespace,
  name,
  labels: { ...chartLabels, 'app.kubernetes.io/instance': name },
  ports,
  upstream: upstreamUrl,
});

async function double(services: DoubleService[]): Promise<KubeServiceProxyDouble> {
  const d = await startKubeServiceProxyDouble({ certFile: pki.serverCert, keyFile: pki.serverKey, token: 'lab-token', services });
  doubles.push(d);
  return d;
}

/** A kubeconfig with two contexts on the same cluster: `lab` (no namespace) and `wrong-token`. */
async function kubeconfig(server: string, name = 'kubeconfig'): Promise<string> {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': 'lab',
    clusters: [{ name: 'lab', cluster: { server, 'certificate-authority': pki.caCert, 'tls-server-name': 'collector.netsentry.test' } }],
    users: [
      { name: 'lab', user: { token: 'lab-token' } },
      { name: 'intruder', user: { token: 'not-the-token' } },
    ],
    contexts: [
      { name: 'lab', context: { cluster: 'lab', user: 'lab' } },
      { name: 'wrong-token', context: { cluster: 'lab', user: 'intruder' } },
    ],
  };
  return pki.write(`${name}-${Math.random().toString(36).slice(2)}.yaml`, toYaml(config));
}

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env,
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    now: () => nowMs,
    home: '/nonexistent-netsentry-test-home',
  });
  return { code, stdout, stderr };
}

describe('kubectl netsentry: the collector through the kubeconfig', () => {
  it('finds the one collector Service in all namespaces and asks it through the service proxy with the kubeconfig token', async () => {
    const api = await double([service('netsentry'), { ...service('other', 'unrelated'), labels: { app: 'x' } }]);
    const { code, stdout, stderr } = await cli(['status', '--kubeconfig', await kubeconfig(api.url)]);
    expect(stderr).toBe('');
    expect(code).toBe(2);
    expect(stdout).toContain('collector netsentry/netsentry-collector via context lab · 4 nodes');
    expect(stdout).toContain('OverlayRouteMissing');
    const paths = api.requests.map((r) => r.path);
    expect(paths[0]).toBe(`/api/v1/services?labelSelector=${encodeURIComponent(collectorServiceSelector)}`);
    expect(paths).toContain('/api/v1/namespaces/netsentry/services/netsentry-collector:http/proxy/api/v1/findings?state=open');
    expect(api.requests.every((r) => r.authorization === 'Bearer lab-token')).toBe(true);
  });

  it('reads $KUBECONFIG; -n narrows the search to one namespace', async () => {
    const api = await double([service('netsentry'), service('staging')]);
    const { code, stdout } = await cli(['findings', '-o', 'json', '-n', 'staging'], { KUBECONFIG: await kubeconfig(api.url) });
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ findings: [rootFinding] });
    expect(api.requests[0]!.path.startsWith('/api/v1/namespaces/staging/services?labelSelector=')).toBe(true);
  });

  it('two collectors and no -n → a usage error naming both', async () => {
    const api = await double([service('netsentry'), service('staging')]);
    const { code, stderr } = await cli(['status', '--kubeconfig', await kubeconfig(api.url)]);
    expect(code).toBe(64);
    expect(stderr).toBe(
      'netsentry: 2 netsentry collectors in any namespace: netsentry/netsentry-collector, staging/netsentry-collector; choose one with -n NAMESPACE\n',
    );
  });

  it('no collector Service, refused credentials, an unknown context, an unreachable API: each says what to check', async () => {
    const api = await double([service('netsentry', 'netsentry-collector', ['grpc'])]);
    const file = await kubeconfig(api.url);
    const none = await cli(['status', '--kubeconfig', file, '-n', 'netsentry']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain('no netsentry collector Service in namespace netsentry of context lab');
    const refused = await cli(['status', '--kubeconfig', file, '--context', 'wrong-token']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(
      /the Kubernetes API at https:\/\/127\.0\.0\.1:\d+ answered HTTP 401 \(the kubeconfig credentials were refused\): Unauthorized/,
    );
    const unknown = await cli(['status', '--kubeconfig', file, '--context', 'prod']);
    expect(unknown).toMatchObject({ code: 64, stderr: 'netsentry: --context prod: not in the kubeconfig (contexts: lab, wrong-token)\n' });
    const closed = await double([]);
    await closed.close();
    const down = await cli(['status', '--kubeconfig', await kubeconfig(closed.url)]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: connection refused.*check the kubeconfig/);
    const missing = await cli(['status', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(missing).toMatchObject({ code: 64, stderr: 'netsentry: --kubeconfig /nonexistent/kubeconfig: no such file\n' });
  });

  it('--collector wins over the kubeconfig: the API is never asked', async () => {
    const api = await double([service('netsentry')]);
    const { code } = await cli(['version', '--collector', upstreamUrl], { KUBECONFIG: await kubeconfig(api.url) });
    expect(code).toBe(0);
    expect(api.requests).toEqual([]);
  });
});
