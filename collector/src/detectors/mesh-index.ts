// The probe mesh as detectors see it, kept up to date from the probe view's change feed
// instead of rebuilt every pass: per network, one pair per directed (source, destination)
// with its UDP (small, large) and TCP states, and per node the counts localization needs
// (known and bad pairs, per verdict). A path state change re-counts its one pair (O(1));
// a node whose agents come or go re-counts its own pairs (O(degree)); localization reads
// counts (O(nodes with a bad pair + accepted × degree)). A pass is then O(nodes), not
// O(paths). Pairs whose target agent is disconnected or missing are not counted: a dead
// responder is AgentMissing, not a network fault. Same rules as localize.ts, which stays as
// the plain-list reference the index is tested against.
import type { AgentNetwork } from '../model/agent-network.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { podNetworkAgent } from '../model/pod-network-agent.ts';
import type { PathState, PathStateFeed } from '../probes/probe-view.ts';
import type { DetectorConfig } from './finding-candidate.ts';
import { nodeBadRatio, othersGoodRatio, type Localized } from './localize.ts';
import { isAlive, meshNetworks, pairStatus, type Pair } from './pair.ts';

/** What localization is asked about a pair: reachability, one protocol blocked, large packets lost. */
export const meshVerdicts = {
  isolated: (pair: Pair): boolean | undefined => {
    const status = pairStatus(pair);
    return status === 'unknown' ? undefined : status === 'failing';
  },
  /** UDP fails while TCP is healthy on the same pair. */
  udpBlocked: (pair: Pair): boolean | undefined => (pair.udp && pair.tcp ? pair.udp.failing && pair.tcp.healthy : undefined),
  tcpBlocked: (pair: Pair): boolean | undefined => (pair.udp && pair.tcp ? pair.tcp.failing && pair.udp.healthy : undefined),
  /** Large UDP probes fail while small ones on the same pair do not. */
  mtu: (pair: Pair): boolean | undefined => (pair.large && pair.udp ? pair.large.failing && !pair.udp.failing : undefined),
} as const;
export type MeshVerdict = keyof typeof meshVerdicts;
const verdictNames = Object.keys(meshVerdicts) as MeshVerdict[];
const verdictFns = verdictNames.map((name) => meshVerdicts[name]);

interface IndexedPair extends Pair {
  /** Bit v: counted as known for verdict v; bit v + 8: counted as bad. */
  mask: number;
  live: boolean;
  /** Changed since the last settle, and uncounted until then. */
  dirty: boolean;
  /** Its place in its destination's inbound list. */
  inboundAt: number;
  /** The count arrays of its source and destination (kept while the node has a pair). */
  readonly sourceCounts: Int32Array;
  readonly destinationCounts: Int32Array;
}

interface Count {
  known: number;
  bad: number;
}

export interface MeshIndex {
  /** Brings liveness to the snapshot's time (agents connected and not missing). */
  sync(snapshot: ClusterSnapshot): void;
  /** The live pair source → destination on `network`, if known. */
  pair(network: AgentNetwork, source: string, destination: string): Pair | undefined;
  /** Live pairs with a failing UDP or TCP path, sorted by source then destination. */
  failingPairs(network: AgentNetwork): Pair[];
  /** Every live pair, sorted by source then destination. O(pairs). */
  pairs(network: AgentNetwork): Pair[];
  localize(network: AgentNetwork, verdict: MeshVerdict): Localized[];
  /** Pairs held (live or not), counted from the inbound lists: what the index keeps in memory, for tests. O(nodes). */
  heldPairs(): number;
  /** Stops following the feed. */
  close(): void;
}

const byEnds = (a: Pair, b: Pair): number =>
  a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0;
const hostLive = 1;
const podLive = 2;

/** settleEvery: changed pairs held uncounted before the index counts them at ingest (tests make it small). */
export function createMeshIndex(feed: PathStateFeed, config: DetectorConfig, { settleEvery = 512 } = {}): MeshIndex {
  type Side = Map<string, Map<string, IndexedPair>>;
  const bySource = new Map<AgentNetwork, Side>(meshNetworks.map((n) => [n, new Map()]));
  // Inbound pairs are only listed (localization, liveness changes), never looked up: an array
  // per destination with swap-remove, not a map to hash into for every pair that comes and goes.
  const byDestination = new Map<AgentNetwork, Map<string, IndexedPair[]>>(meshNetworks.map((n) => [n, new Map()]));
  const linkInbound = (pair: IndexedPair): void => {
    const side = byDestination.get(pair.network)!;
    let list = side.get(pair.destination);
    if (!list) side.set(pair.destination, (list = []));
    pair.inboundAt = list.push(pair) - 1;
  };
  const unlinkInbound = (pair: IndexedPair): void => {
    const side = byDestination.get(pair.network)!;
    const list = side.get(pair.destination)!;
    const last = list.pop()!;
    if (last !== pair) {
      list[pair.inboundAt] = last;
      last.inboundAt = pair.inboundAt;
    }
    if (list.length === 0) side.delete(pair.destination);
  };
  const failing = new Map<AgentNetwork, Set<IndexedPair>>(meshNetworks.map((n) => [n, new Set()]));
  // Per node (and the whole mesh under ''): known and bad pair counts per network × verdict,
  // at [(networkIndex × verdicts + verdict) × 2 + (0 known | 1 bad)]. One lookup per node.
  const counts = new Map<string, Int32Array>();
  const slotOf = (network: AgentNetwork, v: number): number => ((network === 'host' ? 0 : 1) * verdictFns.length + v) * 2;
  const badNodes = new Map<AgentNetwork, Set<string>[]>(meshNetworks.map((n) => [n, verdictNames.map(() => new Set())]));
  const liveness = new Map<string, number>();
  const liveSource = (node: string, network: AgentNetwork): boolean => {
    const l = liveness.get(node) ?? 0;
    return (l & hostLive) !== 0 || (network === 'pod' && (l & podLive) !== 0);
  };
  const liveDestination = (node: string, network: AgentNetwork): boolean =>
    ((liveness.get(node) ?? 0) & (network === 'host' ? hostLive : podLive)) !== 0;

  const countsOf = (node: string): Int32Array => {
    let c = counts.get(node);
    if (!c) counts.set(node, (c = new Int32Array(2 * meshNetworks.length * verdictFns.length)));
    return c;
  };
  const total = countsOf('');

  /** Adds sign × the pair's counted verdicts to one node's counts (node '' : the whole mesh). */
  const applyTo = (c: Int32Array, node: string, mask: number, network: AgentNetwork, sign: 1 | -1): void => {
    for (let v = 0; v < verdictFns.length; v++) {
      if ((mask & (1 << v)) === 0) continue;
      const slot = slotOf(network, v);
      c[slot] = c[slot]! + sign;
      if ((mask & (1 << (v + 8))) === 0) continue;
      c[slot + 1] = c[slot + 1]! + sign;
      if (node === '') continue;
      const set = badNodes.get(network)![v]!;
      if (c[slot + 1]! > 0) set.add(node);
      else set.delete(node);
    }
  };

  /** Adds sign × the pair's counted verdicts (pair.mask) to its two nodes and the total. */
  const apply = (pair: IndexedPair, sign: 1 | -1): void => {
    if (pair.mask === 0) return;
    applyTo(pair.sourceCounts, pair.source, pair.mask, pair.network, sign);
    applyTo(pair.destinationCounts, pair.destination, pair.mask, pair.network, sign);
    applyTo(total, '', pair.mask, pair.network, sign);
  };

  const uncount = (pair: IndexedPair): void => {
    apply(pair, -1);
    pair.mask = 0;
    failing.get(pair.network)!.delete(pair);
  };

  const count = (pair: IndexedPair): void => {
    pair.live = liveSource(pair.source, pair.network) && liveDestination(pair.destination, pair.network);
    if (!pair.live) return;
    for (let v = 0; v < verdictFns.length; v++) {
      const verdict = verdictFns[v]!(pair);
      if (verdict !== undefined) pair.mask |= (1 << v) | (verdict ? 1 << (v + 8) : 0);
    }
    apply(pair, 1);
    if (pair.udp?.failing || pair.tcp?.failing) failing.get(pair.network)!.add(pair);
  };

  const link = (side: Side, a: string, b: string, pair: IndexedPair | undefined): void => {
    let inner = side.get(a);
    if (pair) {
      if (!inner) side.set(a, (inner = new Map()));
      inner.set(b, pair);
    } else if (inner) {
      inner.delete(b);
      if (inner.size === 0) side.delete(a);
    }
  };
  /** A node's counts go with its last pair (on either side, in either network). */
  const hasPairs = (node: string): boolean => {
    for (const network of meshNetworks) if (bySource.get(network)!.has(node) || byDestination.get(network)!.has(node)) return true;
    return false;
  };

  // Pairs changed since the last read or settle, uncounted: a pair's paths (UDP small and
  // large, TCP) come and go together, within one batch or one expiry, so it is counted once
  // per batch rather than once per path. Settled at ingest every settleEvery pairs, so a
  // detector pass does not inherit the counting of every batch since the last one.
  let dirty: IndexedPair[] = [];
  const settle = (): void => {
    if (dirty.length === 0) return;
    const list = dirty;
    dirty = [];
    for (const pair of list) {
      pair.dirty = false;
      if (pair.udp || pair.tcp || pair.large) {
        count(pair);
        continue;
      }
      link(bySource.get(pair.network)!, pair.source, pair.destination, undefined);
      unlinkInbound(pair);
      if (!hasPairs(pair.source)) counts.delete(pair.source);
      if (!hasPairs(pair.destination)) counts.delete(pair.destination);
    }
  };

  const onChange = (previous: PathState | undefined, next: PathState | undefined): void => {
    const s = next ?? previous;
    if (!s) return;
    const network = s.network;
    const source = s.source;
    const destination = s.destination;
    let pair = bySource.get(network)!.get(source)?.get(destination);
    if (!pair) {
      if (!next) return;
      pair = {
        source,
        destination,
        network,
        mask: 0,
        live: false,
        dirty: true,
        inboundAt: 0,
        sourceCounts: countsOf(source),
        destinationCounts: countsOf(destination),
      };
      dirty.push(pair);
      link(bySource.get(network)!, source, destination, pair);
      linkInbound(pair);
    } else if (!pair.dirty && !(previous && next && previous.failing === next.failing && previous.healthy === next.healthy)) {
      // Most changes keep the verdicts (a healthy path stays healthy): those swap the state only.
      uncount(pair);
      pair.dirty = true;
      dirty.push(pair);
    }
    if (s.protocol === 'tcp') pair.tcp = next;
    else if (s.size === 'large') pair.large = next;
    else pair.udp = next;
    if (dirty.length > settleEvery) settle();
  };

  const recountNode = (node: string): void => {
    settle();
    for (const network of meshNetworks) {
      for (const pairs of [bySource.get(network)!.get(node)?.values() ?? [], byDestination.get(network)!.get(node) ?? []]) {
        for (const pair of pairs) {
          uncount(pair);
          count(pair);
        }
      }
    }
  };

  const subscription = feed.subscribe(onChange);

  const index: MeshIndex = {
    sync(snapshot) {
      settle();
      const seen = new Set<string>();
      const changed: string[] = [];
      for (const node of snapshot.nodes) {
        seen.add(node.name);
        const l =
          (isAlive(node.hostAgent, snapshot.nowMs, config) ? hostLive : 0) |
          (isAlive(podNetworkAgent(node), snapshot.nowMs, config) ? podLive : 0);
        if ((liveness.get(node.name) ?? 0) !== l) changed.push(node.name);
        if (l) liveness.set(node.name, l);
        else liveness.delete(node.name);
      }
      for (const node of liveness.keys()) {
        if (seen.has(node)) continue;
        liveness.delete(node);
        changed.push(node);
      }
      for (const node of changed) recountNode(node);
    },

    pair(network, source, destination) {
      settle();
      const pair = bySource.get(network)!.get(source)?.get(destination);
      return pair?.live ? pair : undefined;
    },

    failingPairs(network) {
      settle();
      return [...failing.get(network)!].sort(byEnds);
    },

    pairs(network) {
      settle();
      const out: Pair[] = [];
      for (const inner of bySource.get(network)!.values()) for (const pair of inner.values()) if (pair.live) out.push(pair);
      return out.sort(byEnds);
    },

    localize(network, verdict) {
      settle();
      const v = verdictNames.indexOf(verdict);
      const slot = slotOf(network, v);
      const knownBit = 1 << v;
      const badBit = 1 << (v + 8);
      // Accepting a node sets its pairs aside: the adjustments live here, not in the counts.
      const adjusted = new Map<string, Count>();
      const countOf = (node: string): Count => {
        const a = adjusted.get(node);
        if (a) return a;
        const c = counts.get(node);
        return c ? { known: c[slot]!, bad: c[slot + 1]! } : { known: 0, bad: 0 };
      };
      const adjust = (node: string): Count => {
        let a = adjusted.get(node);
        if (!a) adjusted.set(node, (a = { ...countOf(node) }));
        return a;
      };
      const candidates = [...badNodes.get(network)![v]!];
      const accepted = new Set<string>();
      const out: Localized[] = [];
      for (;;) {
        let best: string | undefined;
        let bestRatio = 0;
        for (const node of candidates) {
          if (accepted.has(node)) continue;
          const c = countOf(node);
          if (c.known === 0 || c.bad === 0) continue;
          const ratio = c.bad / c.known;
          if (ratio > bestRatio || (ratio === bestRatio && best !== undefined && node < best)) [best, bestRatio] = [node, ratio];
        }
        if (best === undefined || bestRatio < nodeBadRatio) break;
        const c = countOf(best);
        const total = countOf('');
        const othersKnown = total.known - c.known;
        const othersGood = othersKnown - (total.bad - c.bad);
        if (othersKnown === 0 || othersGood / othersKnown < othersGoodRatio) break;
        const side = (pairs: Iterable<IndexedPair>, outbound: boolean) => {
          const known: Pair[] = [];
          for (const pair of pairs) {
            if ((pair.mask & knownBit) === 0 || accepted.has(outbound ? pair.destination : pair.source)) continue;
            known.push(pair);
          }
          known.sort(byEnds);
          return { known, bad: known.filter((p) => ((p as IndexedPair).mask & badBit) !== 0) };
        };
        const outbound = side(bySource.get(network)!.get(best)?.values() ?? [], true);
        const inbound = side(byDestination.get(network)!.get(best) ?? [], false);
        out.push({ node: best, outbound, inbound, others: { known: othersKnown, good: othersGood } });
        accepted.add(best);
        const t = adjust('');
        for (const [list, outward] of [
          [outbound, true],
          [inbound, false],
        ] as const) {
          for (const pair of list.known) {
            const bad = ((pair as IndexedPair).mask & badBit) !== 0 ? 1 : 0;
            const other = adjust(outward ? pair.destination : pair.source);
            other.known -= 1;
            other.bad -= bad;
            t.known -= 1;
            t.bad -= bad;
          }
        }
        const mine = adjust(best);
        mine.known = 0;
        mine.bad = 0;
      }
      return out.sort((a, b) => (a.node < b.node ? -1 : 1));
    },

    heldPairs() {
      settle();
      let n = 0;
      for (const side of byDestination.values()) for (const list of side.values()) n += list.length;
      return n;
    },

    close: () => subscription.unsubscribe(),
  };
  for (const state of subscription.current) onChange(undefined, state);
  settle();
  return index;
}
