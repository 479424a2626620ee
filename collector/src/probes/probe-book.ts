// The probe book: the collector's whole probe state behind one object. Callers say what
// happened (a batch arrived, an agent restarted or left, a change or repair point on some
// nodes) and read a view; the records stay private. Inside, per path, one of two tiers:
// a compact slot for paths whose recent attempts all came back (healthy-paths.ts: no attempt
// log, ~100 bytes), or an attempt log with a full state for paths with a loss in their window
// and the just recovered (probe-store.ts, probe-view.ts). A 5,000-node mesh is mostly the first.
import type { ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { AgentNetwork } from '../model/agent-network.ts';
import { createProbeStore } from './probe-store.ts';
import { createProbeViewBuilder, type ProbeView } from './probe-view.ts';

export interface ProbeBook {
  /** A batch from the agent of `key`, measured at atMs (collector clock), seen at nowMs. */
  ingest(key: { node: string; network: AgentNetwork }, batch: ProbeBatch, atMs: number, nowMs: number): void;
  /** The agent of `node` on `network` started afresh (restart, or back after a gap): see ProbeStore.destinationReset. */
  agentRestarted(node: string, network: AgentNetwork, atMs: number): void;
  /** The agent left (expired, or its node left the cluster): what it sent goes. */
  agentGone(node: string, network: AgentNetwork, atMs: number): void;
  /** See ProbeStore.changePoint. */
  changePoint(nodes: ReadonlySet<string>, atMs: number): void;
  /** See ProbeStore.repairPoint. */
  repairPoint(nodes: ReadonlySet<string>, atMs: number): void;
  /** The probe mesh at nowMs (cached while nothing changed). */
  view(nowMs: number): ProbeView;
  /** Probe results discarded because their destination agent had restarted or a change point held them back, since start. */
  readonly discardedResults: number;
  readonly retentionMs: number;
}

export function createProbeBook(deps: { isKnownNode: (node: string) => boolean }): ProbeBook {
  const store = createProbeStore(deps);
  const builder = createProbeViewBuilder();
  let cached: { version: number; nowMs: number; view: ProbeView } | undefined;
  return {
    ingest(key, batch, atMs, nowMs) {
      builder.touched(store, store.ingest(key, batch, atMs), nowMs);
    },
    agentRestarted(node, network, atMs) {
      store.destinationReset(node, network, atMs);
      builder.agentGone(store, node, network, atMs);
    },
    agentGone(node, network, atMs) {
      store.forget(node, network);
      builder.agentGone(store, node, network, atMs);
    },
    changePoint(nodes, atMs) {
      store.changePoint(nodes, atMs);
      builder.nodesChanged(store, nodes, atMs);
    },
    repairPoint(nodes, atMs) {
      store.repairPoint(nodes, atMs);
      builder.nodesChanged(store, nodes, atMs);
    },
    view(nowMs) {
      if (cached?.version !== store.version || cached.nowMs !== nowMs)
        cached = { version: store.version, nowMs, view: builder.build(store, nowMs) };
      return cached.view;
    },
    get discardedResults() {
      return store.discardedResults;
    },
    retentionMs: store.retentionMs,
  };
}
