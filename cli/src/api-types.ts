// The parts of the collector's JSON API the CLI reads (collector/README.md documents them).
// Fields are optional where an older or newer collector might leave them out: the formatters
// print what is there.
export interface ApiFinding {
  id: string;
  kind: string;
  severity: string;
  nodes?: string[];
  peer?: string;
  summary?: string;
  evidence?: string[];
  remediation?: string[];
  since?: string;
  explains?: string[];
  state?: string;
  resolvedAt?: string;
}

export interface ApiAgent {
  connected?: boolean;
  lastSeen?: string;
  agentVersion?: string;
  restarts?: number;
  addresses?: string[];
  podCidrs?: string[];
  overlay?: { kind?: string; name?: string; vni?: number; mtu?: number; underlayMtu?: number };
  overlayCheck?: { peersChecked?: number; peersOk?: number; problems?: { peer: string; parts?: { part: string; problem: string }[] }[] };
  links?: { role?: string; present?: boolean; mtu?: number }[];
  conntrack?: { available?: boolean; entries?: number; maxEntries?: number };
}

export interface ApiNode {
  name: string;
  hostAgent?: ApiAgent;
  podAgent?: ApiAgent;
}

export interface ApiCell {
  source: string;
  destination: string;
  attempts: number;
  failures?: number;
  lossRatio?: number | null;
  rttP50Seconds?: number | null;
  failing?: boolean;
  large?: { failing?: boolean };
}

/** A row of a ?worst= answer: one node's pairs on a network and protocol (collector/src/http/matrix-worst.ts). */
export interface ApiWorstRow {
  node: string;
  outFailing: number;
  outMeasured: number;
  inFailing: number;
  inMeasured: number;
  degraded: number;
  marked?: boolean;
  broken?: { failing: number; measured: number };
}

export interface ApiMatrixAnswer {
  matrices: { network: string; protocol: string; nodeCount?: number; nodes?: string[]; cells?: ApiCell[]; nodesWithProblems?: number; worst?: ApiWorstRow[] }[];
}

export interface ApiVersion {
  version?: string;
  nodeVersion?: string;
}

/** One address of a target in /api/v1/targets (collector/src/targets/target-view.ts). */
export interface ApiTargetAddress {
  address: string;
  failingFrom: string[];
  failingCount: number;
  probedFrom: number;
}

export interface ApiTarget {
  name: string;
  protocol: string;
  service: ApiTargetAddress;
  endpoints: ApiTargetAddress[];
}
