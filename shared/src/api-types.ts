// The collector's JSON API (GET /api/v1/…): the one contract its HTTP handlers serve and the
// CLI, the test harness and (by the same field names) the page read. The collector derives
// what a reader would otherwise recompute — each finding's parent, each cell's state — so
// every renderer shows the same tree and the same colours. Plain JSON values only.

export type ApiSeverity = 'critical' | 'warning' | 'info';
/** pending: produced, but its evidence is not complete yet (listed only with ?state=all). */
export type ApiFindingState = 'pending' | 'open' | 'resolved';

export interface ApiFinding {
  /** Stable: `${kind}:${node}`, plus `:${peer}` for pair-specific kinds. */
  id: string;
  kind: string;
  severity: ApiSeverity;
  nodes: string[];
  peer?: string;
  summary: string;
  evidence: string[];
  remediation: string[];
  /** ISO time the finding opened. */
  since: string;
  /** Ids of the findings this one is the root cause of. */
  explains: string[];
  /**
   * The open finding in the same answer that this one is shown beneath: the first (in the
   * answer's order) whose `explains` lists it. Absent for a root, and for the members of an
   * explains cycle; a resolved or pending finding is nobody's parent.
   */
  parent?: string;
  state: ApiFindingState;
  /** ISO time the finding resolved. */
  resolvedAt?: string;
}

export interface ApiFindingsAnswer {
  findings: ApiFinding[];
}

export interface ApiOverlayDevice {
  kind: string;
  name: string;
  vni: number;
  port: number;
  vtepMac: string;
  vtepIp: string;
  mtu: number;
  underlayDevice: string;
  underlayMtu: number;
}

export interface ApiOverlayCheck {
  kind: string;
  peersChecked: number;
  peersOk: number;
  peerSetGeneration: number;
  durationSeconds: number;
  /** Peers with a problem in all; `problems` lists the first of them (at most 100) by name. */
  peersWithProblems: number;
  problems: { peer: string; parts: { part: string; problem: string; expected: string; actual: string }[] }[];
}

export interface ApiLink {
  name: string;
  role: string;
  present: boolean;
  up: boolean;
  operState: string;
  mtu: number;
  kind: string;
}

export interface ApiConntrack {
  available: boolean;
  entries: number;
  maxEntries: number;
  insertFailedTotal: number;
  dropTotal: number;
  earlyDropTotal: number;
}

export interface ApiAgent {
  connected: boolean;
  connectedSince: string;
  lastSeen: string;
  lastReport?: string;
  disconnectedAt?: string;
  network: 'host' | 'pod';
  agentVersion: string;
  instanceId?: string;
  startedAt?: string;
  restarts: number;
  restartedAt?: string;
  addresses: string[];
  podCidrs: string[];
  probe: { address: string; port: number };
  overlay?: ApiOverlayDevice;
  overlayCheck?: ApiOverlayCheck;
  links?: ApiLink[];
  conntrack?: ApiConntrack;
  unavailable?: { source: string; reason: string }[];
}

export interface ApiLossRow {
  network: 'host' | 'pod';
  protocol: 'udp' | 'tcp';
  direction: 'outbound' | 'inbound';
  attempts: number;
  failures: number;
  lossRatio: number | null;
}

export interface ApiNodeProbes {
  agents: { network: 'host' | 'pod'; lastBatch: string; intervalSeconds: number; eventLoopDelayP99Seconds: number }[];
  loss: ApiLossRow[];
  dns: { protocol: string; resolver: string; attempts: number; failures: number; failing: boolean }[];
}

/** active, or the transition the node is in (findings about it held meanwhile). */
export interface ApiLifecycle {
  state: string;
  stateSince?: string;
  stateReason?: string;
}

export interface ApiNode extends ApiLifecycle {
  name: string;
  hostAgent?: ApiAgent;
  podAgent?: ApiAgent;
  probes?: ApiNodeProbes;
}

export interface ApiDepartedNode {
  name: string;
  state: 'left';
  leftAt: string;
  reason: string;
}

export interface ApiNodesAnswer {
  nodes: ApiNode[];
  /** The cursor for ?after= when more nodes follow. */
  nextAfter?: string;
  /** Nodes that left (first page only). */
  departed?: ApiDepartedNode[];
}

/**
 * A cell as readers colour it: unknown = no attempts in the window; failing = the path is
 * judged failing; degraded = some loss, or large probes failing; ok otherwise.
 */
export type ApiCellState = 'ok' | 'degraded' | 'failing' | 'unknown';

export interface ApiCell {
  source: string;
  destination: string;
  state: ApiCellState;
  attempts: number;
  failures: number;
  lossRatio: number | null;
  rttP50Seconds: number | null;
  rttP95Seconds: number | null;
  failing: boolean;
  direction?: string;
  /** UDP only: the large-probe path beside the small one. */
  large?: { attempts: number; failures: number; failing: boolean; sizeBytes: number };
}

/**
 * A node the readers mark (✕ critical, ! warning) in the matrix and the node list: named by an
 * open finding, or broken — failing on at least half of the pairs it takes part in on this
 * matrix, so its peers, which fail only towards it, stay unmarked. Served with each matrix so
 * the page and the CLI render the same marks instead of each deriving them.
 */
export interface ApiNodeMark {
  node: string;
  /** critical: a critical finding names it, or it is broken; warning otherwise. */
  level: 'critical' | 'warning';
  /** Why, one line each: `${kind} (${severity})` per open finding, then `fails F of M pairs on network/protocol`. */
  reasons: string[];
  /** Failing pairs it takes part in on this matrix (either direction): the order among marks of one level. */
  failing: number;
}

export interface ApiMatrix {
  network: 'host' | 'pod';
  protocol: 'udp' | 'tcp';
  nodeCount: number;
  nodes: string[];
  cells: ApiCell[];
  /** Every marked node of this network and protocol (over all cells, not only this page's), by name. */
  marks: ApiNodeMark[];
  nextAfter?: string;
}

export interface ApiMatrixAnswer {
  generatedAt: string;
  windowSeconds: number;
  matrices: ApiMatrix[];
}

/** A row of GET /api/v1/matrix?worst=N: one node's measured and failing pairs (collector/src/http/matrix-worst.ts). */
export interface ApiWorstRow {
  node: string;
  outFailing: number;
  outMeasured: number;
  inFailing: number;
  inMeasured: number;
  /** Outbound pairs degraded (loss below failing, or large probes failing). */
  degraded: number;
  /** Named by an open finding or broken: the row counts every pair; other rows skip pairs with it. */
  marked?: true;
  /** Failing on at least half of the pairs it takes part in. */
  broken?: { failing: number; measured: number };
}

/** A matrix as its worst rows: no cells. */
export interface ApiWorstMatrix {
  network: 'host' | 'pod';
  protocol: 'udp' | 'tcp';
  nodeCount: number;
  nodesWithProblems: number;
  worst: ApiWorstRow[];
  /** As ApiMatrix.marks. */
  marks: ApiNodeMark[];
}

export interface ApiWorstAnswer {
  generatedAt: string;
  windowSeconds: number;
  matrices: ApiWorstMatrix[];
}

/** One address of a target (its Service address or an endpoint): which nodes fail it now. */
export interface ApiTargetAddress {
  address: string;
  /** Nodes whose last two probes of it failed (the first 20, sorted). */
  failingFrom: string[];
  failingCount: number;
  /** Nodes with a recent result for it. */
  probedFrom: number;
}

/** A target of GET /api/v1/targets (collector/src/targets/target-view.ts). */
export interface ApiTarget {
  name: string;
  protocol: 'tcp' | 'dns';
  service: ApiTargetAddress;
  endpoints: ApiTargetAddress[];
}

export interface ApiTargetsAnswer {
  targets: ApiTarget[];
}

export interface ApiVersion {
  version: string;
  nodeVersion: string;
}

export interface ApiError {
  error: string;
  message: string;
}
