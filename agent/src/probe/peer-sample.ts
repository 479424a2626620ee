// Which peers a probe round covers. Up to fullMeshMaxPeers peer nodes: all of them (full
// mesh). Above: a rotating sample of sampleSize peer nodes per round plus the peers this
// agent currently suspects (its own recent failures).
//
// The rotation walks a ring: every peer node sits at a position hashed from (this node's
// name, the peer's name), i.e. a per-agent pseudo-random permutation that is deterministic.
// Each round takes the next sampleSize peers after the cursor, cyclically, and moves the
// cursor to the last one taken. Bound: with M peer nodes and k = sampleSize, any
// ceil(M / k) consecutive rounds take ceil(M / k) · k ≥ M consecutive ring positions, so
// every peer is probed at least once in every ceil(M / k) rounds. Joins and leaves do not
// move the remaining peers on the ring (their position depends only on the two names), so
// a peer still present is reached by the sweep within ceil(M' / k) rounds of its last probe,
// M' the largest peer count seen in between (a newcomer: within ceil(M' / k) of joining).
import { createHash } from 'node:crypto';
import type { PeerTarget } from './probe-types.ts';

export interface PeerSampleOptions {
  selfNode: string;
  /** At most this many peer nodes: probe them all every round. */
  fullMeshMaxPeers: number;
  /** Peer nodes per round above the threshold. */
  sampleSize: number;
  /** Suspects probed on top of the sample, at most (newest kept). */
  maxSuspects?: number;
}

export interface PeerSample {
  /** The targets for the next round; advances the rotation. */
  next(targets: readonly PeerTarget[]): PeerTarget[];
  /** Feeds a round's outcome back: a peer with any failed probe becomes a suspect until a round to it passes. */
  observe(outcome: ReadonlyMap<string, boolean>): void;
  /** Rounds within which every current peer is probed (1 = full mesh). */
  boundRounds(peerCount: number): number;
  readonly suspects: ReadonlySet<string>;
}

/** A stable 52-bit ring position for `peer` as seen from `self`. */
export function ringPosition(self: string, peer: string): number {
  const digest = createHash('sha1').update(self).update('\u0000').update(peer).digest();
  return digest.readUIntBE(0, 6) + digest[6]! / 256;
}

export function coverageBound(peerCount: number, fullMeshMaxPeers: number, sampleSize: number): number {
  return peerCount <= fullMeshMaxPeers || peerCount <= sampleSize ? 1 : Math.ceil(peerCount / sampleSize);
}

export function createPeerSample(options: PeerSampleOptions): PeerSample {
  const k = Math.max(1, Math.floor(options.sampleSize));
  const maxSuspects = options.maxSuspects ?? k;
  const positions = new Map<string, number>();
  const suspects = new Set<string>(); // insertion order = oldest first
  let ring: { names: string[]; at: number[] } = { names: [], at: [] };
  let ringKey = '';
  let cursor = -1;

  const position = (name: string): number => {
    let p = positions.get(name);
    if (p === undefined) positions.set(name, (p = ringPosition(options.selfNode, name)));
    return p;
  };

  /** Peer node names sorted by ring position; rebuilt only when the set of names changes. */
  const ringOf = (names: string[]): typeof ring => {
    const key = names.join('\u0000');
    if (key === ringKey) return ring;
    const live = new Set(names);
    for (const name of positions.keys()) if (!live.has(name)) positions.delete(name);
    const sorted = [...live].sort((a, b) => position(a) - position(b) || (a < b ? -1 : 1));
    ring = { names: sorted, at: sorted.map(position) };
    ringKey = key;
    return ring;
  };

  return {
    suspects,
    boundRounds: (peerCount) => coverageBound(peerCount, options.fullMeshMaxPeers, k),
    next(targets) {
      const names = [...new Set(targets.map((t) => t.nodeName))].sort();
      if (names.length <= options.fullMeshMaxPeers || names.length <= k) return [...targets];
      const { names: order, at } = ringOf(names);
      // First ring index strictly after the cursor (binary search), then k cyclically.
      let lo = 0;
      let hi = at.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (at[mid]! <= cursor) lo = mid + 1;
        else hi = mid;
      }
      const chosen = new Set<string>();
      for (let i = 0; i < k; i++) chosen.add(order[(lo + i) % order.length]!);
      cursor = at[(lo + k - 1) % order.length]!;
      const present = new Set(names);
      for (const name of suspects) if (present.has(name)) chosen.add(name);
      return targets.filter((t) => chosen.has(t.nodeName));
    },
    observe(outcome) {
      for (const [name, ok] of outcome) {
        suspects.delete(name);
        if (!ok) suspects.add(name);
      }
      while (suspects.size > maxSuspects) suspects.delete(suspects.values().next().value!);
    },
  };
}
