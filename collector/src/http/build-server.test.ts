import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../../shared/src/auth-token.ts';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { defaultDetectors } from '../detectors/index.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createCollectorMetrics } from '../metrics/collector-metrics.ts';
import { createTestCluster, podHello } from '../../../test/fixtures/cluster-fixtures.ts';
import { createTestCollector } from '../../../test/harness/test-collector.ts';
import { buildServer } from './build-server.ts';

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

// The collector as main.ts wires it (test/harness/test-collector.ts), four agents connected,
// its clock standing still: each test runs a findings pass itself with findings.evaluate().
function setup() {
  const test = createTestCollector({ nodes: 4, start: false });
  apps.push({ close: test.close });
  return { cluster: test.cluster, findings: test.collector.findings, app: test.collector.http, collector: test.collector };
}

describe('HTTP API', () => {
  it('answers health at once, and readiness once both ports listen', async () => {
    const { app, collector } = setup();
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await collector.listen({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });

  it('answers its version (for `netsentry version`)', async () => {
    const { app } = setup();
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect((await app.inject({ method: 'GET', url: '/api/v1/version' })).json()).toEqual({
      version: pkg.version,
      nodeVersion: process.version,
    });
  });

  it('serves Prometheus text with the registry content type', async () => {
    const { cluster, findings, app } = setup();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    findings.evaluate();
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(response.body).toContain('netsentry_overlay_routes_missing{node="node-2"} 3');
  });

  it('gzips /metrics when the scraper accepts it, and the text is the same', async () => {
    const { cluster, findings, app } = setup();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    findings.evaluate();
    const plain = await app.inject({ method: 'GET', url: '/metrics' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/accept-encoding/i);
    const zipped = await app.inject({ method: 'GET', url: '/metrics', headers: { 'accept-encoding': 'gzip' } });
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(zipped.rawPayload.length).toBeLessThan(plain.rawPayload.length);
    const text = gunzipSync(zipped.rawPayload).toString('utf8');
    expect(text).toContain('netsentry_overlay_routes_missing{node="node-2"} 3');
    // Counters and gauges move between scrapes only where time does: same families either way.
    const families = (body: string) =>
      body
        .split('\n')
        .filter((l) => l.startsWith('# TYPE'))
        .sort();
    expect(families(text)).toEqual(families(plain.body));
    expect(
      (await app.inject({ method: 'GET', url: '/metrics', headers: { 'accept-encoding': 'gzip;q=0' } })).headers['content-encoding'],
    ).toBeUndefined();
  });

  it('gives the /metrics buffer back once the response is done', async () => {
    const cluster = createTestCluster();
    const logger = createSilentLogger();
    const findings = createFindingsEngine({ model: cluster.model, detectors: defaultDetectors(), now: cluster.clock.now, logger });
    const released: string[] = [];
    const metrics = {
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      exposition: async () => ({ body: Buffer.from('netsentry_nodes_known 4\n'), release: () => void released.push('released') }),
    };
    const app = buildServer({ model: cluster.model, findings, metrics, logger, isReady: () => true });
    apps.push(app);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.body).toBe('netsentry_nodes_known 4\n');
    await new Promise((resolve) => setImmediate(resolve));
    expect(released).toEqual(['released']);
    await app.inject({ method: 'GET', url: '/metrics', headers: { 'accept-encoding': 'gzip' } });
    expect(released).toEqual(['released', 'released']);
  });

  it('lists open findings by default and resolved ones with state=all', async () => {
    const { cluster, findings, app } = setup();
    expect((await app.inject({ method: 'GET', url: '/api/v1/findings' })).json()).toEqual({ findings: [] });
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    findings.evaluate();
    const body = (await app.inject({ method: 'GET', url: '/api/v1/findings?state=open' })).json() as {
      findings: Record<string, unknown>[];
    };
    expect(body.findings).toHaveLength(1);
    const finding = body.findings[0]!;
    expect(Object.keys(finding).sort()).toEqual([
      'evidence',
      'explains',
      'id',
      'kind',
      'nodes',
      'remediation',
      'severity',
      'since',
      'state',
      'summary',
    ]);
    expect(finding).toMatchObject({
      id: 'OverlayRouteMissing:node-2',
      kind: 'OverlayRouteMissing',
      severity: 'critical',
      nodes: ['node-2'],
      explains: [],
      state: 'open',
      since: '2025-10-13T22:00:00.000Z',
    });
    cluster.reportHealthy('node-2');
    findings.evaluate();
    expect((await app.inject({ method: 'GET', url: '/api/v1/findings' })).json()).toEqual({ findings: [] });
    const all = (await app.inject({ method: 'GET', url: '/api/v1/findings?state=all' })).json() as {
      findings: { state: string; resolvedAt: string }[];
    };
    expect(all.findings).toEqual([expect.objectContaining({ state: 'resolved', resolvedAt: '2025-10-13T22:00:00.000Z' })]);
  });

  it('serves each matrix with the nodes to mark: named by an open finding (page and CLI render these marks)', async () => {
    const { cluster, findings, app } = setup();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    findings.evaluate();
    for (const url of ['/api/v1/matrix?network=host', '/api/v1/matrix?network=host&worst=5']) {
      const { matrices } = (await app.inject({ method: 'GET', url })).json() as { matrices: { protocol: string; marks: unknown[] }[] };
      expect(matrices.map((m) => m.protocol)).toEqual(['udp', 'tcp']);
      for (const m of matrices)
        expect(m.marks, url).toEqual([{ node: 'node-2', level: 'critical', reasons: ['OverlayRouteMissing (critical)'], failing: 0 }]);
    }
  });

  it('refuses an unknown state with a clear JSON error', async () => {
    const response = await setup().app.inject({ method: 'GET', url: '/api/v1/findings?state=closed' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: 'invalid_argument', message: "state must be one of open, all, got 'closed'" });
  });

  it('describes every node with its agents, overlay and latest check', async () => {
    const { cluster, app } = setup();
    cluster.reportMissing('node-2', ['node-1']);
    cluster.model.agentConnected(podHello('node-1'), { connectionId: 'p', peerAddress: 'x' });
    const { nodes } = (await app.inject({ method: 'GET', url: '/api/v1/nodes' })).json() as { nodes: any[] };
    expect(nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
    const node2 = nodes[1];
    expect(node2.podAgent).toBeUndefined();
    expect(node2.hostAgent).toMatchObject({
      connected: true,
      network: 'host',
      lastSeen: '2025-10-13T22:00:00.000Z',
      addresses: ['192.0.2.12'],
      podCidrs: ['198.18.2.0/24'],
      overlay: { kind: 'flannel-vxlan', name: 'flannel.1', vni: 1, vtepMac: '0a:58:c6:12:02:00', vtepIp: '192.0.2.12', mtu: 1450 },
      overlayCheck: {
        peersChecked: 3,
        peersOk: 2,
        problems: [
          {
            peer: 'node-1',
            parts: expect.arrayContaining([
              { part: 'route', problem: 'missing', expected: '198.18.1.0/24 via 198.18.1.0 dev flannel.1 onlink', actual: 'absent' },
            ]),
          },
        ],
      },
      conntrack: { available: true, entries: 120, maxEntries: 262144 },
    });
    expect(node2.hostAgent.links).toContainEqual({
      name: 'flannel.1',
      role: 'overlay',
      present: true,
      up: true,
      operState: 'UNKNOWN',
      mtu: 1450,
      kind: 'vxlan',
    });
    expect(nodes[0].podAgent).toMatchObject({ connected: true, network: 'pod', addresses: ['198.18.1.5'] });
  });

  it('serves the page shell, its module and stylesheet with a strict CSP', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.headers['content-security-policy']).not.toContain('unsafe-inline');
    expect(response.body).toContain('<script type="module" src="page/app.js"></script>');
    // Relative URLs only, so the page works under a sub-path (kubectl proxy, Ingress).
    expect(response.body).not.toMatch(/(?:href|src)="\//);
    expect(response.body).not.toMatch(/https?:\/\//); // no external resources
    const js = await app.inject({ method: 'GET', url: '/page/app.js' });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).toContain('export function renderMatrix');
    expect((await app.inject({ method: 'GET', url: '/page/style.css' })).headers['content-type']).toMatch(/^text\/css/);
  });

  it('keeps serving the API when the page files are missing, and says why at /', async () => {
    const cluster = createTestCluster();
    const logger = createSilentLogger();
    const findings = createFindingsEngine({ model: cluster.model, detectors: defaultDetectors(), now: cluster.clock.now, logger });
    const metrics = createCollectorMetrics({ model: cluster.model, findings });
    const app = buildServer({
      model: cluster.model,
      findings,
      metrics,
      logger,
      isReady: () => true,
      pageDir: new URL('file:///nonexistent/'),
    });
    apps.push(app);
    expect((await app.inject({ method: 'GET', url: '/api/v1/findings' })).statusCode).toBe(200);
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.json().message).toMatch(
      /^page asset \/nonexistent\/index.html cannot be read .*the build must copy collector\/src\/http\/page\//,
    );
  });

  it('answers unknown routes with 404 JSON', async () => {
    const response = await setup().app.inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'no route for GET /api/v1/nope' });
  });

  it('pages /api/v1/nodes with limit and after, finds one node, and refuses a bad limit', async () => {
    const { app } = setup();
    const first = (await app.inject({ method: 'GET', url: '/api/v1/nodes?limit=3' })).json();
    expect(first.nodes.map((n: { name: string }) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(first.nextAfter).toBe('node-3');
    const rest = (await app.inject({ method: 'GET', url: '/api/v1/nodes?limit=3&after=node-3' })).json();
    expect(rest.nodes.map((n: { name: string }) => n.name)).toEqual(['node-4']);
    expect(rest.nextAfter).toBeUndefined();
    // Without limit: every node, as the page and CLI read it.
    expect((await app.inject({ method: 'GET', url: '/api/v1/nodes' })).json().nodes).toHaveLength(4);
    expect(
      (await app.inject({ method: 'GET', url: '/api/v1/nodes?node=node-2' })).json().nodes.map((n: { name: string }) => n.name),
    ).toEqual(['node-2']);
    expect((await app.inject({ method: 'GET', url: '/api/v1/nodes?node=node-9' })).json().nodes).toEqual([]);
    const bad = await app.inject({ method: 'GET', url: '/api/v1/nodes?limit=0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/limit must be an integer/);
    expect((await app.inject({ method: 'GET', url: '/api/v1/matrix?limit=99999' })).statusCode).toBe(400);
  });

  it('with a bearer token: /api needs it, /healthz and the page stay open, /metrics only when asked', async () => {
    const cluster = createTestCluster();
    const logger = createSilentLogger();
    const findings = createFindingsEngine({ model: cluster.model, detectors: defaultDetectors(), now: cluster.clock.now, logger });
    const metrics = createCollectorMetrics({ model: cluster.model, findings });
    const token = 'a-token-of-sixteen-chars';
    for (const protectMetrics of [false, true]) {
      const app = buildServer({
        model: cluster.model,
        findings,
        metrics,
        logger,
        isReady: () => true,
        auth: { verifier: () => createTokenVerifier([token]), metrics: protectMetrics },
      });
      apps.push(app);
      const refused = await app.inject({ method: 'GET', url: '/api/v1/nodes' });
      expect(refused.statusCode).toBe(401);
      expect(refused.json().error).toBe('unauthenticated');
      expect(
        (await app.inject({ method: 'GET', url: '/api/v1/findings', headers: { authorization: 'Bearer wrong-token-wrong-token' } }))
          .statusCode,
      ).toBe(401);
      expect((await app.inject({ method: 'GET', url: '/api/v1/nodes', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(
        200,
      );
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(protectMetrics ? 401 : 200);
    }
  });
});
