// The one interface every overlay backend implements, and helpers they share.
import { createHash } from 'node:crypto';
import type { Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { OverlayKind, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { FdbEntry, NeighborEntry, RouteEntry } from '../kernel/types.ts';
import type { SelfDescription } from './self-description.ts';

export interface PartProblemResult {
  part: OverlayPart;
  problem: Problem;
  /** Short human strings, e.g. "198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink" and "absent". */
  expected: string;
  actual: string;
}

export interface PeerProblemResult {
  peer: string;
  parts: PartProblemResult[];
}

export interface VerificationResult {
  peersChecked: number;
  peersOk: number;
  problems: PeerProblemResult[];
  /** sha256 (hex, first 16 chars) of the sorted list of correct chains. */
  healthyDigest: string;
}

export interface VerificationInput {
  self: SelfDescription;
  routes: RouteEntry[];
  neighbors: NeighborEntry[];
  fdb: FdbEntry[];
  peers: Peer[];
}

export interface OverlayBackend {
  name: string;
  kind: OverlayKind;
  /** Which tables verify() looks at, so the collector skips reads it does not need. */
  needs: { neighbors: boolean; fdb: boolean };
  /** Pure: compares the node's tables with what the peer set says they should hold. */
  verify(input: VerificationInput): VerificationResult;
}

// The last input and its digest: a pass over an unchanged node (almost every pass) finds
// the same chains in the same order, and sorting and hashing 5,000 of them was a fifth of
// verification time at 5,000 peers.
let lastChains: string[] = [];
let lastDigest = '';

export function healthyDigest(chains: string[]): string {
  if (chains.length === lastChains.length && chains.every((c, i) => c === lastChains[i])) return lastDigest;
  const digest = createHash('sha256')
    .update([...chains].sort().join('\n'))
    .digest('hex')
    .slice(0, 16);
  lastChains = [...chains];
  lastDigest = digest;
  return digest;
}

export function describeRoute(r: RouteEntry): string {
  const type = r.type === 'unicast' ? '' : `${r.type} `;
  const via = r.gateway ? ` via ${r.gateway}` : '';
  const dev = r.dev ? ` dev ${r.dev}` : '';
  return `${type}${r.dst}${via}${dev}${r.onlink ? ' onlink' : ''}`;
}

/** The peer's name for problem reports: node name, else its node IP. */
export function peerLabel(peer: Peer): string {
  return peer.nodeName || peer.nodeIp;
}

/** Main-table routes by destination, for O(1) lookups over thousands of peers. */
export function indexMainRoutes(routes: RouteEntry[]): Map<string, RouteEntry[]> {
  const byDst = new Map<string, RouteEntry[]>();
  for (const r of routes) {
    if (r.table !== 'main') continue;
    const list = byDst.get(r.dst);
    if (list) list.push(r);
    else byDst.set(r.dst, [r]);
  }
  return byDst;
}
