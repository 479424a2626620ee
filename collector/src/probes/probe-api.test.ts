// The probe mesh through the HTTP API and /metrics, on a fake mesh with node-2's routes missing.
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { defaultDetectors } from '../detectors/index.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { buildServer } from '../http/build-server.ts';
import { createCollectorMetrics } from '../metrics/collector-metrics.ts';
import { createTestCluster } from '../../../test/fixtures/cluster-fixtures.ts';
import { addPodAgents, runRounds } from '../../../test/fixtures/probe-fixtures.ts';

const apps: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function setup(options: { maxFailingPairSeries?: number } = {}) {
  const cluster = createTestCluster();
  addPodAgents(cluster);
  const logger = createSilentLogger();
  const findings = createFindingsEngine({ model: cluster.model, detectors: defaultDetectors(), now: cluster.clock.now, logger });
  const metrics = createCollectorMetrics({ model: cluster.model, findings, ...options });
  const app = buildServer({ model: cluster.model, findings, metrics, logger, isReady: () => true });
  apps.push(app);
  runRounds(cluster, 2, {
    path: (leg) =>
      leg.network !== 'pod' ? 'ok' : leg.source === 'node-2' ? 'request-lost' : leg.destination === 'node-2' ? 'reply-lost' : 'ok',
    dns: (source) => source === 'node-2',
  });
  return { cluster, app, metrics };
}

describe('probe API and metrics', () => {
  it('serves the matrix with failing cells and their direction', async () => {
    const { app } = setup();
    const response = await app.inject({ method: 'GET', url: '/api/v1/matrix?network=pod&protocol=udp' });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      windowSeconds: 10,
      matrices: [{ network: 'pod', protocol: 'udp', nodes: ['node-1', 'node-2', 'node-3', 'node-4'] }],
    });
    const cells = body.matrices[0].cells as {
      source: string;
      destination: string;
      failing: boolean;
      direction?: string;
      attempts: number;
      lossRatio: number;
    }[];
    expect(cells).toHaveLength(12);
    expect(cells.find((c) => c.source === 'node-2' && c.destination === 'node-1')).toMatchObject({
      failing: true,
      direction: 'request-lost',
      lossRatio: 1,
      attempts: 12,
    });
    expect(cells.find((c) => c.source === 'node-1' && c.destination === 'node-2')).toMatchObject({
      failing: true,
      direction: 'reply-lost',
    });
    expect(cells.filter((c) => c.failing)).toHaveLength(6);
    expect((await app.inject({ method: 'GET', url: '/api/v1/matrix' })).json().matrices).toHaveLength(4);
  });

  it('refuses unknown matrix filters with 400', async () => {
    const { app } = setup();
    for (const url of ['/api/v1/matrix?network=underlay', '/api/v1/matrix?protocol=icmp']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toBe('invalid_argument');
    }
  });

  it('adds probe state to /api/v1/nodes', async () => {
    const { app } = setup();
    const node2 = (await app.inject({ method: 'GET', url: '/api/v1/nodes' })).json().nodes[1];
    expect(node2.probes.agents).toEqual(
      expect.arrayContaining([expect.objectContaining({ network: 'pod', eventLoopDelayP99Seconds: 0.003, intervalSeconds: 5 })]),
    );
    expect(node2.probes.loss).toContainEqual({
      network: 'pod',
      protocol: 'udp',
      direction: 'outbound',
      attempts: 36,
      failures: 36,
      lossRatio: 1,
    });
    expect(node2.probes.dns).toContainEqual(expect.objectContaining({ protocol: 'udp', failing: false, failures: 2 }));
  });

  it('caps the per-pair series at the budget, in a stable order, and still counts every failing pair', async () => {
    const { metrics } = setup({ maxFailingPairSeries: 5 });
    const text = await metrics.metrics();
    const pairs = text.match(/^netsentry_probe_pair_failing\{.*$/gm) ?? [];
    expect(pairs).toHaveLength(5);
    expect([...pairs].sort()).toEqual(pairs);
    expect((await metrics.metrics()).match(/^netsentry_probe_pair_failing\{.*$/gm)).toEqual(pairs);
    const counted = [...text.matchAll(/^netsentry_probe_pairs_failing\{network="(\w+)",protocol="(\w+)"\} (\d+)$/gm)].map((m) => [
      `${m[1]}/${m[2]}`,
      Number(m[3]),
    ]);
    expect(Object.fromEntries(counted)).toEqual({ 'host/udp': 0, 'host/tcp': 0, 'pod/udp': 6, 'pod/tcp': 6 });
  });

  it('exports node-level probe metrics and one series per failing pair only', async () => {
    const { metrics } = setup();
    const text = await metrics.metrics();
    expect(text).toContain('netsentry_probe_loss_ratio{node="node-2",direction="outbound",network="pod",protocol="udp"} 1');
    expect(text).toContain('netsentry_probe_loss_ratio{node="node-1",direction="outbound",network="host",protocol="tcp"} 0');
    expect(text).toContain('netsentry_probe_rtt_median_seconds{node="node-1",network="host"} 0.0005');
    expect(text.match(/^netsentry_probe_pair_failing\{/gm)).toHaveLength(12);
    expect(text).toContain('netsentry_probe_pair_failing{source="node-2",destination="node-1",network="pod",protocol="tcp"} 1');
    expect(text).not.toMatch(/netsentry_probe_pair_failing\{[^}]*network="host"/);
    expect(text).toContain('netsentry_dns_probe_success_ratio{node="node-2",protocol="udp"} 0');
    expect(text).toContain('netsentry_dns_probe_success_ratio{node="node-1",protocol="tcp"} 1');
    expect(text).toContain('netsentry_agent_event_loop_delay_seconds{node="node-3",network="pod"} 0.003');
    expect(text).toContain('netsentry_node_mtu_bytes{node="node-1",device_role="overlay"} 1450');
    expect(text).toContain('netsentry_node_mtu_bytes{node="node-1",device_role="underlay"} 1500');
    expect(text).toMatch(/netsentry_conntrack_fill_ratio\{node="node-1"\} 0\.000457/);
  });
});
