import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { version } from '../../../shared/src/version.ts';
import { defaultDetectors } from '../detectors/index.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createTestCluster, healthyLinks, nodeReport, podHello } from '../../../test/fixtures/cluster-fixtures.ts';
import { create } from '@bufbuild/protobuf';
import { ProbeBatchSchema, ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { Registry } from 'prom-client';
import { createCollectorMetrics, renderMetrics } from './collector-metrics.ts';
import type { MetricsScrape } from './metrics-scrape.ts';
import { eachInSteps, registerTextFamily, stepItems } from './text-family.ts';
import { findingKinds } from './finding-metrics.ts';

function setup() {
  const cluster = createTestCluster();
  const findings = createFindingsEngine({
    model: cluster.model,
    detectors: defaultDetectors(),
    now: cluster.clock.now,
    logger: createSilentLogger(),
  });
  const metrics = createCollectorMetrics({ model: cluster.model, findings });
  return { cluster, findings, metrics };
}

describe('collector metrics', () => {
  it('exports 0 missing routes for every reporting node of a healthy cluster', async () => {
    const { metrics } = setup();
    const text = await metrics.metrics();
    for (const node of ['node-1', 'node-2', 'node-3', 'node-4']) {
      expect(text).toContain(`netsentry_overlay_routes_missing{node="${node}"} 0`);
      expect(text).toContain(`netsentry_overlay_peers_checked{node="${node}"} 3`);
    }
    expect(text).not.toMatch(/^netsentry_findings\{/m);
    expect(text).toContain('netsentry_nodes_known 4');
    expect(text).toContain('netsentry_agents_connected{network="host"} 4');
    expect(text).toContain('netsentry_agents_connected{network="pod"} 0');
    expect(text).toContain(`netsentry_build_info{version="${version}",node_version="${process.version}"} 1`);
    for (const kind of findingKinds) expect(text).toContain(`netsentry_open_findings{kind="${kind}"} 0`);
    expect(text).toContain('netsentry_agent_last_report_timestamp_seconds{node="node-1",network="host"} 1760392800');
    expect(text).toContain('netsentry_stream_errors_total{reason="invalid_hello"} 0');
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).not.toContain('netsentry_collector_process_');
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('counts the broken peers and the open finding of the broken node', async () => {
    const { cluster, findings, metrics } = setup();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    findings.evaluate();
    const text = await metrics.metrics();
    expect(text).toContain('netsentry_overlay_routes_missing{node="node-2"} 3');
    expect(text).toContain('netsentry_overlay_routes_missing{node="node-1"} 0');
    expect(text).toContain('netsentry_findings{kind="OverlayRouteMissing",severity="critical",node="node-2"} 1');
    expect(text.match(/^netsentry_findings\{/gm)).toHaveLength(1);
    expect(text).toContain('netsentry_open_findings{kind="OverlayRouteMissing"} 1');
    expect(text).toContain('netsentry_open_findings{kind="NodeIsolated"} 0');
    cluster.reportHealthy('node-2');
    findings.evaluate();
    expect(await metrics.metrics()).not.toMatch(/^netsentry_findings\{/m);
  });

  it('counts what the ingest and the engine feed it', async () => {
    const { cluster, metrics } = setup();
    cluster.model.agentConnected(podHello('node-1'), { connectionId: 'p', peerAddress: 'x' });
    metrics.streamError('invalid_hello');
    metrics.streamError('invalid_hello');
    metrics.agentConnected('host');
    metrics.messageReceived('nodeReport');
    metrics.observeDetectorRun(0.002);
    const text = await metrics.metrics();
    expect(text).toContain('netsentry_stream_errors_total{reason="invalid_hello"} 2');
    expect(text).toContain('netsentry_agent_connections_total{network="host"} 1');
    expect(text).toContain('netsentry_messages_received_total{type="nodeReport"} 1');
    expect(text).toContain('netsentry_detector_run_duration_seconds_count 1');
    expect(text).toContain('netsentry_agents_connected{network="pod"} 1');
  });

  it('keeps each instance on its own registry', async () => {
    const a = setup().metrics;
    const b = setup().metrics;
    a.streamError('no_hello');
    expect(a.registry).not.toBe(b.registry);
    expect(await b.metrics()).toContain('netsentry_stream_errors_total{reason="no_hello"} 0');
  });

  it('puts successful small probes into the sub-millisecond RTT histogram, and nothing else', async () => {
    const { metrics } = setup();
    const batch = create(ProbeBatchSchema, {
      results: [
        { targetNode: 'node-2', protocol: ProbeProtocol.UDP, ok: true, rttSeconds: 0.0003 },
        { targetNode: 'node-3', protocol: ProbeProtocol.UDP, ok: true, rttSeconds: 0.002 },
        { targetNode: 'node-3', protocol: ProbeProtocol.UDP, ok: false, rttSeconds: 1, error: 'timeout' },
        { targetNode: 'node-3', protocol: ProbeProtocol.UDP, ok: true, rttSeconds: 0.0004, large: true },
        { targetNode: 'node-4', protocol: ProbeProtocol.TCP, ok: true, rttSeconds: 0.0009 },
        { protocol: ProbeProtocol.DNS_UDP, ok: true, rttSeconds: 0.001, target: '198.18.1.10:53' },
      ],
    });
    metrics.observeProbeBatch(batch, 'pod');
    const text = await metrics.metrics();
    expect(text).toContain('netsentry_probe_round_trip_seconds_bucket{le="0.0005",network="pod",protocol="udp"} 1');
    expect(text).toContain('netsentry_probe_round_trip_seconds_bucket{le="0.0025",network="pod",protocol="udp"} 2');
    expect(text).toContain('netsentry_probe_round_trip_seconds_count{network="pod",protocol="udp"} 2');
    expect(text).toContain('netsentry_probe_round_trip_seconds_count{network="pod",protocol="tcp"} 1');
    expect(text).toContain('netsentry_probe_round_trip_seconds_count{network="host",protocol="udp"} 0');
  });

  it('lets the event loop run between families once a family took a slice (10 ms), all from one scrape', async () => {
    const registry = new Registry();
    const order: string[] = [];
    const busy = (ms: number): void => {
      const until = performance.now() + ms;
      while (performance.now() < until);
    };
    for (const name of ['netsentry_slow_a', 'netsentry_slow_b', 'netsentry_fast_c', 'netsentry_fast_d']) {
      registerTextFamily<MetricsScrape>(
        registry,
        {
          name,
          help: name,
          type: 'gauge',
          labelNames: ['node'],
          collect({ snapshot }, emit) {
            order.push(name);
            if (name.includes('slow')) busy(15);
            for (const node of snapshot.nodes) emit(1, node.name);
          },
        },
        () => {
          throw new Error('not used');
        },
      );
    }
    const { cluster } = setup();
    setImmediate(() => order.push('ingest'));
    const text = (await renderMetrics(registry, { snapshot: cluster.model.snapshot(), openFindings: [] })).toString();
    // The other task ran right after the first slow family, not after the whole render.
    expect(order).toEqual(['netsentry_slow_a', 'ingest', 'netsentry_slow_b', 'netsentry_fast_c', 'netsentry_fast_d']);
    expect(text.match(/^netsentry_(slow|fast)_[a-d]\{node="node-\d"\} 1$/gm)).toHaveLength(16);
    expect(text.endsWith('netsentry_fast_d{node="node-4"} 1\n')).toBe(true);
  });

  it('reuses the output buffer only after release(), and never overwrites bytes still held', async () => {
    const { cluster, metrics } = setup();
    const first = await metrics.exposition();
    const held = Buffer.from(first.body);
    const second = await metrics.exposition(); // first not released: a new buffer
    expect(second.body.buffer).not.toBe(first.body.buffer);
    cluster.reportMissing('node-2', ['node-1']);
    second.release();
    expect(first.body.equals(held)).toBe(true);
    const third = await metrics.exposition(); // second's buffer, reused
    expect(third.body.buffer).toBe(second.body.buffer);
    expect(first.body.equals(held)).toBe(true);
    expect(third.body.toString()).toContain('netsentry_overlay_routes_missing{node="node-2"} 1');
    third.release();
    third.release(); // twice is harmless
    const [a, b] = await Promise.all([metrics.exposition(), metrics.exposition()]); // concurrent scrapes never share
    expect(a.body.buffer).not.toBe(b.body.buffer);
    const stable = (body: Buffer): string =>
      body
        .toString()
        .split('\n')
        .filter((l) => !/^(# (HELP|TYPE) )?(process|nodejs)_/.test(l))
        .join('\n');
    expect(stable(a.body)).toBe(stable(b.body));
  });

  it('follows a node MTU to its latest report (the per-report cache is not stale)', async () => {
    const { cluster, metrics } = setup();
    expect(await metrics.metrics()).toContain('netsentry_node_mtu_bytes{node="node-2",device_role="overlay"} 1450');
    const links = healthyLinks().map((l) => (l.name === 'flannel.1' ? { ...l, mtu: 1400 } : l));
    cluster.model.agentReport(cluster.key('node-2'), nodeReport({ peersChecked: 3, links }));
    const text = await metrics.metrics();
    expect(text).toContain('netsentry_node_mtu_bytes{node="node-2",device_role="overlay"} 1400');
    expect(text).toContain('netsentry_node_mtu_bytes{node="node-1",device_role="overlay"} 1450');
  });

  it('lets the event loop run inside a large family that collects in steps', async () => {
    const registry = new Registry();
    const { cluster } = setup();
    const items = Array.from({ length: 3 * stepItems }, (_, i) => `node-${i}`);
    let emitted = 0;
    let emittedWhenIngestRan = -1;
    registerTextFamily<MetricsScrape>(
      registry,
      {
        name: 'netsentry_large',
        help: 'large',
        type: 'gauge',
        labelNames: ['node'],
        collect(_scrape, emit) {
          return eachInSteps(items, (node) => {
            const until = performance.now() + 0.012; // 1,024 items ≈ 12 ms: more than a slice
            while (performance.now() < until);
            emit(1, node);
            emitted += 1;
          });
        },
      },
      () => ({ snapshot: cluster.model.snapshot(), openFindings: [] }),
    );
    setImmediate(() => (emittedWhenIngestRan = emitted));
    const text = (await renderMetrics(registry, { snapshot: cluster.model.snapshot(), openFindings: [] })).toString();
    expect(emittedWhenIngestRan).toBe(stepItems); // after the first step, not after the family
    expect(text.match(/^netsentry_large\{node="node-\d+"\} 1$/gm)).toHaveLength(3 * stepItems);
    // The same family rendered in one go, and through prom-client's get(), has every sample too.
    expect((await registry.getMetricsAsJSON())[0]!.values).toHaveLength(3 * stepItems);
  });
});
