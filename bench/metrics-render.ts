// /metrics render at scale, in one process: the collector's real metrics registration
// (createCollectorMetrics: collector, probe and finding metrics, on its own Registry) over a
// synthetic cluster snapshot of N nodes — a host and a pod agent per node with realistic
// hellos and reports, a probe view with per-node totals (2 networks × 2 protocols), DNS
// and agent stats, one broken node (its inbound small paths failing, plus its open
// findings), and `--paths-per-node` path states (what the scrape walked before it read
// nodeTotals). Renders --renders times and reports render p50/max, the longest event-loop
// block during a render, series, series per node and bytes.
// Renders what GET /metrics sends (CollectorMetrics.exposition(), bytes).
// Usage: node --expose-gc bench/metrics-render.ts [--nodes 5000] [--renders 20] [--paths-per-node 700] [--promtool] [--module path/to/collector-metrics.ts]
// The snapshot is built once, as the collector's model does it per scrape (the probe view
// is built before the render), so this measures the render alone.
import { create } from '@bufbuild/protobuf';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HelloSchema } from '../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, NodeReportSchema } from '../shared/src/gen/netsentry/v1/node_pb.js';
import type { Finding } from '../collector/src/findings/finding.ts';
import type { createCollectorMetrics as CreateCollectorMetrics } from '../collector/src/metrics/collector-metrics.ts';
import { asTextFamily, createTextSink } from '../collector/src/metrics/text-family.ts';
import type { AgentState, ClusterSnapshot, NodeState } from '../collector/src/model/cluster-snapshot.ts';
import { healthyLinks, hostHello } from '../test/fixtures/cluster-fixtures.ts';
import {
  emptyProbeView,
  nodeTotalsOf,
  type AgentProbeStats,
  type DnsState,
  type PathState,
  type ProbeView,
} from '../collector/src/probes/probe-view.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const nodeCount = arg('nodes', 5000);
const renders = arg('renders', 20);
const pathsPerNode = arg('paths-per-node', 700);
// Another implementation of createCollectorMetrics to compare with (e.g. an older commit's
// collector-metrics.ts copied beside the current one); it may lack exposition().
const moduleIndex = process.argv.indexOf('--module');
const metricsModule =
  moduleIndex > 0
    ? new URL(process.argv[moduleIndex + 1]!, `file://${process.cwd()}/`).href
    : '../collector/src/metrics/collector-metrics.ts';
const nowMs = Date.parse('2026-11-25T03:00:00Z');
const name = (i: number): string => `node-${String(i).padStart(5, '0')}`;
const broken = name(7);

function agent(network: 'host' | 'pod', i: number): AgentState {
  const n = name(i);
  const hello =
    network === 'host'
      ? hostHello(n)
      : create(HelloSchema, { nodeName: n, network: Network.POD, addresses: ['198.18.0.5'], probeAddress: '198.18.0.5', probePort: 7500 });
  const report = create(NodeReportSchema, {
    observedAtUnixMs: BigInt(nowMs - 3000),
    peerSetGeneration: 1n,
    ...(network === 'host'
      ? {
          overlay: { peersChecked: nodeCount - 1, peersOk: nodeCount - 1, problems: [], healthyDigest: 'x', durationSeconds: 0.03 },
          links: healthyLinks(),
          conntrack: { available: true, entries: BigInt(1000 + (i % 977)), maxEntries: 262144n },
        }
      : {}),
    trigger: 'periodic',
  });
  return Object.freeze({
    network,
    connected: true,
    connectionId: `${network}-${i}`,
    peerAddress: '192.0.2.1:40000',
    connectedSinceMs: nowMs - 600_000,
    lastSeenMs: nowMs - 1000,
    lastReportMs: nowMs - 3000 - (i % 30) * 1000,
    hello,
    restarts: 0,
    report,
  });
}

function buildSnapshot(): ClusterSnapshot {
  const nodes: NodeState[] = [];
  for (let i = 0; i < nodeCount; i += 1)
    nodes.push(Object.freeze({ name: name(i), hostAgent: agent('host', i), podAgent: agent('pod', i) }));
  // Path states: each node probes the next peers on both networks, UDP small/large and TCP small.
  const classes = [
    ['udp', 'small'],
    ['udp', 'large'],
    ['tcp', 'small'],
  ] as const;
  const paths: PathState[] = [];
  const perPeer = 2 * classes.length;
  const peers = Math.max(1, Math.ceil(pathsPerNode / perPeer));
  for (let i = 0; i < nodeCount; i += 1) {
    for (let j = 1; j <= peers && j < nodeCount; j += 1) {
      const destination = name((i + j) % nodeCount);
      for (const network of ['host', 'pod'] as const) {
        for (const [protocol, size] of classes) {
          const failing = destination === broken && size === 'small';
          const attempts = protocol === 'udp' ? (size === 'small' ? 3 : 2) : 1;
          const failures = failing ? attempts : (i + j) % 97 === 0 ? 1 : 0;
          const rtt = 0.0002 + ((i * 7 + j * 13) % 50) / 100_000;
          paths.push({
            source: name(i),
            destination,
            network,
            protocol,
            size,
            attempts,
            failures,
            lossRatio: failures / attempts,
            ...(failures < attempts ? { rttP50Seconds: rtt, rttP95Seconds: rtt * 2 } : {}),
            failing,
            healthy: failures === 0,
            newestMs: nowMs - 1000,
            sampled: true,
            okSizeBytes: failing ? 0 : 64,
            failedSizeBytes: failures ? 64 : 0,
            ...(failing ? { direction: 'reply-lost' as const } : {}),
          });
        }
      }
    }
  }
  const dns: DnsState[] = [];
  const agents: AgentProbeStats[] = [];
  for (let i = 0; i < nodeCount; i += 1) {
    for (const protocol of ['udp', 'tcp'] as const) {
      const failures = i % 211 === 0 ? 1 : 0;
      dns.push({
        source: name(i),
        protocol,
        resolver: '198.18.0.10:53',
        attempts: 2,
        failures,
        lossRatio: failures / 2,
        rttP50Seconds: 0.001,
        failing: false,
        healthy: failures === 0,
        newestMs: nowMs - 1000,
        sampled: false,
        okSizeBytes: 40,
        failedSizeBytes: 0,
      });
    }
    for (const network of ['host', 'pod'] as const)
      agents.push({
        node: name(i),
        network,
        lastBatchMs: nowMs - 2000,
        intervalSeconds: 5,
        sampleRounds: 157,
        eventLoopDelayP99Seconds: 0.001 + (i % 10) / 10_000,
      });
  }
  // Built eagerly, as the incremental probe view will keep them; the render reads them only.
  const probes: ProbeView = {
    intervalSeconds: 5,
    windowSeconds: 10,
    paths,
    failingPaths: paths.filter((p) => p.failing),
    nodeTotals: nodeTotalsOf(paths),
    dns,
    agents,
    feed: emptyProbeView.feed,
  };
  return Object.freeze({ nowMs, nodes, probes });
}

function brokenFindings(): Finding[] {
  const finding = (kind: string, nodes: string[]): Finding => ({
    id: `${kind}-${nodes.join('-')}`,
    kind,
    severity: 'critical',
    nodes,
    summary: kind,
    evidence: [],
    remediation: [],
    since: new Date(nowMs).toISOString(),
    explains: [],
    state: 'open',
  });
  return [finding('NodeIsolated', [broken]), finding('ProbeLoss', [broken, name(8)])];
}

/** Longest gap between setImmediate turns while `work` runs: how long the render blocks the event loop (ingest included). */
async function withLongestBlock<T>(work: () => Promise<T>): Promise<{ result: T; blockMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const t = performance.now();
    longest = Math.max(longest, t - last);
    last = t;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const result = await work();
  running = false;
  longest = Math.max(longest, performance.now() - last);
  return { result, blockMs: longest };
}

const quantile = (values: number[], q: number): number =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

async function main(): Promise<void> {
  const t0 = performance.now();
  const snapshot = buildSnapshot();
  const buildMs = performance.now() - t0;
  const t1 = performance.now();
  nodeTotalsOf(snapshot.probes.paths);
  const totalsMs = performance.now() - t1;
  // The build's garbage is not the render's: collect it first (node --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
  else console.log("(run with node --expose-gc so the snapshot build's garbage is collected before the renders)");
  const findings = brokenFindings();
  const { createCollectorMetrics } = (await import(metricsModule)) as { createCollectorMetrics: typeof CreateCollectorMetrics };
  const metrics = createCollectorMetrics({
    model: { snapshot: () => snapshot, discardedProbeResults: 0 },
    findings: { list: () => findings },
  });
  const times: number[] = [];
  const cpu: number[] = [];
  const blocks: number[] = [];
  let body = Buffer.alloc(0);
  for (let r = 0; r < renders; r += 1) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    const { result, blockMs } = await withLongestBlock(async () =>
      metrics.exposition ? metrics.exposition() : { body: Buffer.from(await metrics.metrics()), release: () => {} },
    );
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    blocks.push(blockMs);
    if (r === renders - 1) body = Buffer.from(result.body); // a copy: the buffer is reused by the next render
    result.release();
  }
  // Where a render's time goes: each family alone, same snapshot.
  const byFamily: [string, number][] = [];
  const scrape = { snapshot, openFindings: findings };
  const scratch = Buffer.allocUnsafe(body.length * 2); // reused, as the collector reuses its output buffer
  for (const metric of moduleIndex > 0 ? [] : metrics.registry.getMetricsAsArray()) {
    const family = asTextFamily(metric);
    const start = performance.now();
    for (let r = 0; r < 5; r += 1) {
      if (family) family.render(scrape, createTextSink(scratch));
      else await metrics.registry.getSingleMetricAsString(metric.name);
    }
    byFamily.push([metric.name, (performance.now() - start) / 5]);
  }
  byFamily.sort((a, b) => b[1] - a[1]);
  const text = body.toString('utf8');
  const series = text.split('\n').filter((l) => l && !l.startsWith('#'));
  const perNode = new Map<string, number>();
  for (const line of series) {
    const m = /node="([^"]+)"/.exec(line);
    if (m) perNode.set(m[1]!, (perNode.get(m[1]!) ?? 0) + 1);
  }
  const nodeSeries = [...perNode.values()];
  const families = new Map<string, number>();
  for (const line of series) {
    const family = /^[a-z_:]+/.exec(line)![0];
    families.set(family, (families.get(family) ?? 0) + 1);
  }
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
  );
  console.log(
    `nodes ${nodeCount}, path states ${snapshot.probes.paths.length} (${pathsPerNode}/node), failing ${snapshot.probes.failingPaths.length}, nodeTotals ${snapshot.probes.nodeTotals.length}; synthetic snapshot built in ${buildMs.toFixed(0)} ms; nodeTotalsOf(paths) from scratch ${totalsMs.toFixed(0)} ms`,
  );
  console.log(
    `render over ${renders}: p50 ${quantile(times, 0.5).toFixed(1)} ms, p90 ${quantile(times, 0.9).toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms (first ${times[0]!.toFixed(1)} ms); CPU p50 ${quantile(cpu, 0.5).toFixed(1)} ms, p90 ${quantile(cpu, 0.9).toFixed(1)} ms; longest event-loop block p50 ${quantile(blocks, 0.5).toFixed(1)} ms, max ${Math.max(...blocks).toFixed(1)} ms`,
  );
  console.log(
    `series ${series.length} (${(series.length / nodeCount).toFixed(2)} per node overall; with a node label: max ${Math.max(...nodeSeries)}, median ${quantile(nodeSeries, 0.5)}); ${(Buffer.byteLength(text) / 2 ** 20).toFixed(2)} MiB`,
  );
  console.log(
    `series by family: ${[...families]
      .filter(([, n]) => n > 10)
      .map(([f, n]) => `${f} ${n}`)
      .join(', ')}`,
  );
  console.log(
    `slowest families (mean of 5): ${byFamily
      .slice(0, 6)
      .map(([f, ms]) => `${f} ${ms.toFixed(1)} ms`)
      .join(', ')}`,
  );
  if (process.argv.includes('--promtool')) {
    const file = `/tmp/metrics-render-${process.pid}.prom`;
    writeFileSync(file, text);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    console.log(
      `promtool check metrics (${file}): exit ${check.status}${check.stdout || check.stderr ? `\n${(check.stdout + check.stderr).trim()}` : ''}`,
    );
  }
}

await main();
