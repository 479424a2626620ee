// The immutable view of the cluster that detectors, metrics and the HTTP API read.
// Messages (hello, report) are shared by reference and never mutated by the model.
import type { Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { Conntrack, NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ProbeView } from '../probes/probe-view.ts';
import type { AgentNetwork } from './agent-network.ts';

export interface AgentState {
  readonly network: AgentNetwork;
  readonly connected: boolean;
  /** The ingest's id for the current (or last) stream. */
  readonly connectionId: string;
  readonly peerAddress: string;
  /** When the current (or last) stream said hello, ms since the epoch. */
  readonly connectedSinceMs: number;
  /** The last message of any kind (hello, report, heartbeat), ms since the epoch. */
  readonly lastSeenMs: number;
  readonly lastReportMs?: number;
  /** When the stream closed; absent while connected. */
  readonly disconnectedAtMs?: number;
  readonly hello: Hello;
  /** How often the collector saw this agent restart (a new instance id, or a gap) since it learnt of it. */
  readonly restarts: number;
  /** When the collector last saw it restart, ms since the epoch. */
  readonly restartedAtMs?: number;
  readonly report?: NodeReport;
  /** Conntrack counters of the report before `report`, to tell rising counters. */
  readonly previousConntrack?: Conntrack;
}

export interface NodeState {
  readonly name: string;
  readonly hostAgent?: AgentState;
  readonly podAgent?: AgentState;
}

/** A node the collector concluded has left the cluster (model/node-lifecycle.ts); kept for the node expiry. */
export interface DepartedNode {
  readonly name: string;
  readonly leftAtMs: number;
  /** Why the collector concluded it left, one sentence. */
  readonly reason: string;
}

export interface ClusterSnapshot {
  readonly nowMs: number;
  /** Every known node, sorted by name. */
  readonly nodes: readonly NodeState[];
  /** Nodes that left recently, sorted by name; a node that says hello again leaves this list. */
  readonly departed?: readonly DepartedNode[];
  /** Mesh probe state at nowMs. */
  readonly probes: ProbeView;
}
