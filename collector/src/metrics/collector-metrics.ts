// The collector's Prometheus metrics, on its own Registry (no global state). Gauges are
// written as text from one snapshot and the open findings at scrape time (text-family.ts);
// counters and the histograms are prom-client's, fed by the ingest and the findings engine.
// All series are O(nodes).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { performance } from 'node:perf_hooks';
import { version } from '../../../shared/src/version.ts';
import type { FindingsEngine } from '../findings/findings-engine.ts';
import type { ClusterModel } from '../model/cluster-model.ts';
import { registerFindingMetrics } from './finding-metrics.ts';
import type { MetricsScrape } from './metrics-scrape.ts';
import { registerNodeMetrics } from './node-metrics.ts';
import { defaultMaxFailingPairSeries, registerProbeMetrics } from './probe-metrics.ts';
import { asTextFamily, createTextSink } from './text-family.ts';
import { budgetNames, type BudgetName } from '../ingest/ingest-budgets.ts';
import { ProbeProtocol, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';

/** Closed sets, initialised to 0 so rate() and absent() work from the first scrape. */
export const streamErrorReasons = [
  'hello_timeout',
  'invalid_hello',
  'duplicate_hello',
  'no_hello',
  'invalid_report',
  'invalid_probe_batch',
  'empty_message',
  'stream_error',
  'unauthenticated',
  'message_too_large',
  'undecodable_message',
  'too_many_streams',
  'rate_limited',
  'replaced',
  'over_budget',
  'permission_denied',
  'invalid_target_batch',
] as const;
export const messageTypes = ['hello', 'nodeReport', 'heartbeat', 'probeBatch', 'targetBatch', 'empty'] as const;
const networks = ['host', 'pod'] as const;

export interface Exposition {
  readonly body: Buffer;
  release(): void;
}

export interface CollectorMetrics {
  readonly registry: Registry;
  /** The exposition text for GET /metrics. */
  metrics(): Promise<string>;
  /**
   * The same text as UTF-8 bytes, as GET /metrics sends it (no string of ~10 MB to build at
   * 5,000 nodes). The bytes sit in a buffer the next scrape reuses once release() is
   * called: call it when they are sent, and do not read them after. Without release() the
   * next scrape allocates a new buffer.
   */
  exposition(): Promise<Exposition>;
  readonly contentType: string;
  streamError(reason: string): void;
  agentConnected(network: 'host' | 'pod'): void;
  agentRestarted(network: 'host' | 'pod'): void;
  messageReceived(type: string): void;
  observeDetectorRun(seconds: number): void;
  /** Feeds the cluster-wide RTT histogram with a batch's successful mesh probes. */
  observeProbeBatch(batch: ProbeBatch, sourceNetwork: 'host' | 'pod'): void;
  peerSetSent(kind: 'full' | 'delta', bytes: number): void;
  budgetExceeded(budget: BudgetName, count?: number): void;
}

export function createCollectorMetrics(deps: {
  model: Pick<ClusterModel, 'snapshot'> & Partial<Pick<ClusterModel, 'discardedProbeResults'>>;
  findings: Pick<FindingsEngine, 'list'>;
  registry?: Registry;
  /** Budget of netsentry_probe_pair_failing series per scrape (default 1000). */
  maxFailingPairSeries?: number;
  /** How late the collector reads agents' heartbeats (ingest/ingest-lag.ts). */
  ingestLagMs?: () => number;
}): CollectorMetrics {
  const { findings } = deps;
  const registry = deps.registry ?? new Registry();
  const registers = [registry];
  // Standard names (process_*, nodejs_*), no prefix: the usual process and Node.js dashboards
  // and alerts select them by job; a prefix would hide them from those.
  collectDefaultMetrics({ register: registry });
  // One snapshot and one findings list per scrape, shared by every family.
  const current = (): MetricsScrape => ({ snapshot: deps.model.snapshot(), openFindings: findings.list({ state: 'open' }) });
  registerNodeMetrics(registry, current);
  registerProbeMetrics(registry, current, { maxFailingPairSeries: deps.maxFailingPairSeries ?? defaultMaxFailingPairSeries });
  registerFindingMetrics(registry, current);
  new Gauge({ name: 'netsentry_build_info', help: 'Build metadata; always 1.', labelNames: ['version', 'node_version'], registers }).set(
    { version, node_version: process.version },
    1,
  );

  const streamErrors = new Counter({
    name: 'netsentry_stream_errors_total',
    help: 'Agent streams refused or failed, by reason.',
    labelNames: ['reason'],
    registers,
  });
  const connections = new Counter({
    name: 'netsentry_agent_connections_total',
    help: 'Agent hellos accepted.',
    labelNames: ['network'],
    registers,
  });
  const restarts = new Counter({
    name: 'netsentry_agent_restarts_total',
    help: 'Agents that came back as a new process (a new instance id for the same node and network).',
    labelNames: ['network'],
    registers,
  });
  new Counter({
    name: 'netsentry_probe_results_discarded_total',
    help: 'Probe results toward an agent that restarted or reconnected, made before it was back (plus one probe interval), or measured across a change point of their source or target node; not counted as loss.',
    registers,
    collect() {
      this.reset();
      this.inc(deps.model.discardedProbeResults ?? 0);
    },
  });
  new Gauge({
    name: 'netsentry_ingest_lag_seconds',
    help: "How late the collector reads agents' heartbeats (median over streams of the newest heartbeat's delay beyond that stream's best). Above 0 the collector is behind its input; AgentMissing for connected agents waits this much longer.",
    registers,
    collect() {
      this.set((deps.ingestLagMs?.() ?? 0) / 1000);
    },
  });
  const peerSetBytes = new Counter({
    name: 'netsentry_peer_set_bytes_total',
    help: 'Peer-set bytes written to agent streams: full sets and deltas.',
    labelNames: ['kind'],
    registers,
  });
  const budgets = new Counter({
    name: 'netsentry_budget_exceeded_total',
    help: 'Hellos and reports refused, message excess dropped, and findings left out, because a collector budget was full, by budget.',
    labelNames: ['budget'],
    registers,
  });
  for (const budget of budgetNames) budgets.inc({ budget }, 0);
  const messages = new Counter({
    name: 'netsentry_messages_received_total',
    help: 'Messages received from agents, by payload type.',
    labelNames: ['type'],
    registers,
  });
  const detectorRuns = new Histogram({
    name: 'netsentry_detector_run_duration_seconds',
    help: 'Time to run every detector over one cluster snapshot.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  // Cluster-wide, per network and protocol only: O(1) series, with sub-millisecond buckets
  // because healthy east-west RTTs live there. Per-node medians are netsentry_probe_rtt_median_seconds.
  const probeRtt = new Histogram({
    name: 'netsentry_probe_round_trip_seconds',
    help: 'Round-trip time of successful small UDP/TCP mesh probes, all nodes, by source network and protocol (from agents that report by exception: one observation per path and round, its median).',
    labelNames: ['network', 'protocol'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  for (const network of networks) for (const protocol of ['udp', 'tcp']) probeRtt.zero({ network, protocol });
  for (const reason of streamErrorReasons) streamErrors.inc({ reason }, 0);
  for (const network of networks) connections.inc({ network }, 0);
  for (const network of networks) restarts.inc({ network }, 0);
  for (const type of messageTypes) messages.inc({ type }, 0);
  for (const kind of ['full', 'delta']) peerSetBytes.inc({ kind }, 0);

  // One output buffer kept between scrapes, sized like the last scrape plus 10 %: a new
  // ~10 MB buffer per scrape (at 5,000 nodes) is external memory that makes V8 run a full
  // mark-compact of the whole heap every few scrapes.
  let spare: Buffer | undefined;
  let lastBytes = 0;
  const exposition = async (): Promise<Exposition> => {
    const wanted = Math.ceil(lastBytes * 1.1);
    const into = spare && spare.length >= wanted ? spare : Buffer.allocUnsafe(Math.max(1 << 20, wanted));
    if (into === spare) spare = undefined;
    const body = await renderMetrics(registry, current(), into);
    lastBytes = body.length;
    let released = false;
    return {
      body,
      release: () => {
        if (released) return;
        released = true;
        if (!spare || into.length > spare.length) spare = into;
      },
    };
  };

  return {
    registry,
    metrics: async () => {
      const { body, release } = await exposition();
      const text = body.toString('utf8');
      release();
      return text;
    },
    exposition,
    get contentType() {
      return registry.contentType;
    },
    streamError: (reason) => streamErrors.inc({ reason }),
    agentConnected: (network) => connections.inc({ network }),
    agentRestarted: (network) => restarts.inc({ network }),
    messageReceived: (type) => messages.inc({ type }),
    observeDetectorRun: (seconds) => detectorRuns.observe(seconds),
    peerSetSent: (kind, bytes) => peerSetBytes.inc({ kind }, bytes),
    budgetExceeded: (budget, count = 1) => budgets.inc({ budget }, count),
    observeProbeBatch: (batch, network) => {
      // Labelled children resolved once per batch: observe() with a label object hashes the labels every time.
      const udp = probeRtt.labels({ network, protocol: 'udp' });
      const tcp = probeRtt.labels({ network, protocol: 'tcp' });
      for (const result of batch.results) {
        if (!result.ok || result.large) continue;
        if (result.protocol === ProbeProtocol.UDP) udp.observe(result.rttSeconds);
        else if (result.protocol === ProbeProtocol.TCP) tcp.observe(result.rttSeconds);
      }
      // Report by exception: one observation per path and round (its median), not per probe;
      // a covered target's at its group's UDP median (coverage carries no TCP RTT).
      for (const summary of batch.pathSummaries) {
        if (summary.large || summary.sent <= summary.lost) continue;
        if (summary.protocol === ProbeProtocol.UDP) udp.observe(summary.rttP50Seconds);
        else if (summary.protocol === ProbeProtocol.TCP) tcp.observe(summary.rttP50Seconds);
      }
      for (const group of batch.coverage)
        if (group.udpSmall > 0) for (let i = 0; i < group.targetNodes.length; i++) udp.observe(group.rttP50Seconds);
    },
  };
}

/** Scrape work between two yields to the event loop, so a scrape never holds the ingest up for long. */
const sliceMs = 10;

/**
 * registry.metrics(), with text families written straight into bytes and a yield
 * (setImmediate) after every ~sliceMs of work, between families and inside large ones
 * (where their collect yields), so ingest runs during a long scrape. Every
 * family reads `scrape`, taken before the first yield: the text describes one moment.
 */
export async function renderMetrics(registry: Registry, scrape: MetricsScrape, into?: Buffer): Promise<Buffer> {
  const sink = createTextSink(into);
  let since = performance.now();
  let first = true;
  for (const metric of registry.getMetricsAsArray()) {
    // Families separated by a blank line, as prom-client's registry.metrics() writes them.
    if (!first) sink.ascii('\n\n');
    first = false;
    const family = asTextFamily(metric);
    if (!family) sink.text(await registry.getSingleMetricAsString(metric.name));
    else {
      // Large families yield every ~1,000 nodes; the event loop gets a turn once a slice is used.
      const steps = family.renderSteps(scrape, sink);
      while (!steps.next().done) {
        if (performance.now() - since >= sliceMs) {
          await new Promise((resolve) => setImmediate(resolve));
          since = performance.now();
        }
      }
    }
    if (performance.now() - since >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
  sink.ascii('\n');
  return sink.toBuffer();
}
