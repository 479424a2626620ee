// The collector's Prometheus metrics, on its own Registry (no global state). Gauges are
// computed from the model and the open findings at scrape time; counters and the detector
// histogram are fed by the ingest and the findings engine. All series are O(nodes).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { version } from '../../../shared/src/version.ts';
import type { FindingsEngine } from '../findings/findings-engine.ts';
import type { ClusterModel, ClusterSnapshot } from '../model/cluster-model.ts';
import { registerFindingMetrics } from './finding-metrics.ts';
import { registerProbeMetrics } from './probe-metrics.ts';
import { ProbeProtocol, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';

/** Closed sets, initialised to 0 so rate() and absent() work from the first scrape. */
export const streamErrorReasons = ['hello_timeout', 'invalid_hello', 'duplicate_hello', 'no_hello', 'invalid_report', 'invalid_probe_batch', 'empty_message', 'stream_error', 'unauthenticated', 'message_too_large', 'undecodable_message', 'too_many_streams', 'rate_limited', 'replaced'] as const;
export const messageTypes = ['hello', 'nodeReport', 'heartbeat', 'probeBatch', 'empty'] as const;
const networks = ['host', 'pod'] as const;

export interface CollectorMetrics {
  readonly registry: Registry;
  /** The exposition text for GET /metrics. */
  metrics(): Promise<string>;
  readonly contentType: string;
  streamError(reason: string): void;
  agentConnected(network: 'host' | 'pod'): void;
  agentRestarted(network: 'host' | 'pod'): void;
  messageReceived(type: string): void;
  observeDetectorRun(seconds: number): void;
  /** Feeds the cluster-wide RTT histogram with a batch's successful mesh probes. */
  observeProbeBatch(batch: ProbeBatch, sourceNetwork: 'host' | 'pod'): void;
  peerSetSent(kind: 'full' | 'delta', bytes: number): void;
}

export function createCollectorMetrics(deps: {
  model: Pick<ClusterModel, 'snapshot'> & Partial<Pick<ClusterModel, 'discardedProbeResults'>>;
  findings: Pick<FindingsEngine, 'list'>;
  registry?: Registry;
}): CollectorMetrics {
  const { findings } = deps;
  // One snapshot per scrape, shared by every gauge: building the probe view is O(paths).
  let scrape: ClusterSnapshot | undefined;
  const model = { snapshot: (): ClusterSnapshot => scrape ?? deps.model.snapshot() };
  const registry = deps.registry ?? new Registry();
  const registers = [registry];
  collectDefaultMetrics({ register: registry, prefix: 'netsentry_collector_' });

  new Gauge({
    name: 'netsentry_overlay_routes_missing',
    help: 'Peers whose overlay chain (route, neighbor, FDB) is incomplete or wrong on this node, from the latest host agent report.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const node of model.snapshot().nodes) {
        const overlay = node.hostAgent?.report?.overlay;
        if (node.hostAgent?.report) this.set({ node: node.name }, overlay?.problems.length ?? 0);
      }
    },
  });
  new Gauge({
    name: 'netsentry_overlay_peers_checked',
    help: 'Peers the host agent verified the overlay chain toward in its latest report.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const node of model.snapshot().nodes) {
        if (node.hostAgent?.report) this.set({ node: node.name }, node.hostAgent.report.overlay?.peersChecked ?? 0);
      }
    },
  });
  new Gauge({
    name: 'netsentry_findings',
    help: 'Open findings, 1 per finding and node it concerns.',
    labelNames: ['kind', 'severity', 'node'],
    registers,
    collect() {
      this.reset();
      for (const finding of findings.list({ state: 'open' })) {
        for (const node of finding.nodes) this.inc({ kind: finding.kind, severity: finding.severity, node });
      }
    },
  });
  new Gauge({
    name: 'netsentry_agents_connected',
    help: 'Agents with an open stream to this collector.',
    labelNames: ['network'],
    registers,
    collect() {
      const counts = { host: 0, pod: 0 };
      for (const node of model.snapshot().nodes) {
        if (node.hostAgent?.connected) counts.host += 1;
        if (node.podAgent?.connected) counts.pod += 1;
      }
      for (const network of networks) this.set({ network }, counts[network]);
    },
  });
  new Gauge({
    name: 'netsentry_agent_last_report_timestamp_seconds',
    help: 'Unix time of the latest node report from each agent.',
    labelNames: ['node', 'network'],
    registers,
    collect() {
      this.reset();
      for (const node of model.snapshot().nodes) {
        for (const agent of [node.hostAgent, node.podAgent]) {
          if (agent?.lastReportMs !== undefined) this.set({ node: node.name, network: agent.network }, agent.lastReportMs / 1000);
        }
      }
    },
  });
  new Gauge({
    name: 'netsentry_nodes_known',
    help: 'Nodes the collector knows (said hello and not expired).',
    registers,
    collect() {
      this.set(model.snapshot().nodes.length);
    },
  });
  registerProbeMetrics(model, registry);
  registerFindingMetrics(findings, registry);
  new Gauge({ name: 'netsentry_build_info', help: 'Build metadata; always 1.', labelNames: ['version', 'node_version'], registers }).set({ version, node_version: process.version }, 1);

  const streamErrors = new Counter({ name: 'netsentry_stream_errors_total', help: 'Agent streams refused or failed, by reason.', labelNames: ['reason'], registers });
  const connections = new Counter({ name: 'netsentry_agent_connections_total', help: 'Agent hellos accepted.', labelNames: ['network'], registers });
  const restarts = new Counter({ name: 'netsentry_agent_restarts_total', help: 'Agents that came back as a new process (a new instance id for the same node and network).', labelNames: ['network'], registers });
  new Counter({
    name: 'netsentry_probe_results_discarded_total',
    help: 'Probe results toward an agent that restarted or reconnected, made before it was back (plus one probe interval); not counted as loss.',
    registers,
    collect() {
      this.reset();
      this.inc(deps.model.discardedProbeResults ?? 0);
    },
  });
  const peerSetBytes = new Counter({ name: 'netsentry_peer_set_bytes_total', help: 'Peer-set bytes written to agent streams: full sets and deltas.', labelNames: ['kind'], registers });
  const messages = new Counter({ name: 'netsentry_messages_received_total', help: 'Messages received from agents, by payload type.', labelNames: ['type'], registers });
  const detectorRuns = new Histogram({
    name: 'netsentry_detector_run_duration_seconds',
    help: 'Time to run every detector over one cluster snapshot.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  // Cluster-wide, per network and protocol only: O(1) series, with sub-millisecond buckets
  // because healthy east-west RTTs live there. Per-node medians are netsentry_probe_rtt_seconds.
  const probeRtt = new Histogram({
    name: 'netsentry_probe_round_trip_seconds',
    help: 'Round-trip time of successful small UDP/TCP mesh probes, all nodes, by source network and protocol.',
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

  return {
    registry,
    metrics: async () => {
      scrape = deps.model.snapshot();
      try {
        return await registry.metrics();
      } finally {
        scrape = undefined;
      }
    },
    get contentType() {
      return registry.contentType;
    },
    streamError: (reason) => streamErrors.inc({ reason }),
    agentConnected: (network) => connections.inc({ network }),
    agentRestarted: (network) => restarts.inc({ network }),
    messageReceived: (type) => messages.inc({ type }),
    observeDetectorRun: (seconds) => detectorRuns.observe(seconds),
    peerSetSent: (kind, bytes) => peerSetBytes.inc({ kind }, bytes),
    observeProbeBatch: (batch, network) => {
      // Labelled children resolved once per batch: observe() with a label object hashes the labels every time.
      const udp = probeRtt.labels({ network, protocol: 'udp' });
      const tcp = probeRtt.labels({ network, protocol: 'tcp' });
      for (const result of batch.results) {
        if (!result.ok || result.large) continue;
        if (result.protocol === ProbeProtocol.UDP) udp.observe(result.rttSeconds);
        else if (result.protocol === ProbeProtocol.TCP) tcp.observe(result.rttSeconds);
      }
    },
  };
}
