// What a detector produces: a finding without its life cycle (since, state), which the
// findings engine owns.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';

export type Severity = 'critical' | 'warning' | 'info';

export interface FindingCandidate {
  /** Stable: `${kind}:${node}`, plus `:${peer}` for pair-specific kinds. */
  id: string;
  kind: string;
  severity: Severity;
  nodes: string[];
  peer?: string;
  summary: string;
  evidence: string[];
  remediation: string[];
  /** Ids of findings this one is the root cause of; ids not open in the same pass are dropped. */
  explains: string[];
  /** Nodes this finding points at besides its own (the peers a root cause's broken entries lead to): its reach for linking symptoms. */
  related?: string[];
  /** Not open yet: its evidence may still be incomplete (the engine keeps it pending, out of the list and metrics). */
  pending?: boolean;
}

export interface DetectorConfig {
  /** A host agent whose stream closed and that has not come back this long gets AgentMissing. */
  agentMissingAfterMs: number;
  /** The heartbeat interval the collector tells agents; a connected agent is missing after 3 missed heartbeats (or agentMissingAfterMs, if longer). */
  heartbeatIntervalMs: number;
  /**
   * How late the collector itself reads agents' messages, ms (ingest/ingest-lag.ts): a
   * connected agent is silent only once it has been quiet this much longer than the
   * threshold, so a busy collector does not blame agents whose heartbeats wait in its buffers.
   */
  ingestLagMs?: () => number;
}

export const defaultDetectorConfig: DetectorConfig = Object.freeze({ agentMissingAfterMs: 20_000, heartbeatIntervalMs: 5_000 });

/** A detector bound to its config; `kind` is the one finding kind it owns. */
export interface Detector {
  readonly kind: string;
  detect(snapshot: ClusterSnapshot): FindingCandidate[];
}

export const findingId = (kind: string, node: string, peer?: string): string =>
  peer === undefined ? `${kind}:${node}` : `${kind}:${node}:${peer}`;

/** "1 peer", "3 peers" */
export const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
