// The incremental mesh index against the plain-list reference (localize.ts over pairs built
// from scratch): random meshes, random state changes and agents coming and going, compared
// after every step for every network and verdict.
import { describe, expect, it } from 'vitest';
import type { AgentNetwork } from '../model/agent-network.ts';
import type { AgentState, ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import type { PathState, PathStateFeed, PathStateListener } from '../probes/probe-view.ts';
import type { PathProtocol, SizeClass } from '../probes/probe-store.ts';
import { defaultDetectorConfig } from './finding-candidate.ts';
import { nodeBadRatio, othersGoodRatio, type Localized } from './localize.ts';
import { createMeshIndex, meshVerdicts, type MeshVerdict } from './mesh-index.ts';
import { meshNetworks, type Pair } from './pair.ts';

/** Deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function createFakeFeed() {
  const states = new Map<string, PathState>();
  const listeners = new Set<PathStateListener>();
  const feed: PathStateFeed = {
    subscribe(listener) {
      listeners.add(listener);
      return { current: [...states.values()], unsubscribe: () => void listeners.delete(listener) };
    },
  };
  const set = (key: string, next: PathState | undefined) => {
    const previous = states.get(key);
    if (!previous && !next) return;
    if (next) states.set(key, next);
    else states.delete(key);
    for (const l of listeners) l(previous, next);
  };
  return { feed, states, set };
}

const agent = (network: AgentNetwork, nowMs: number, alive: boolean): AgentState =>
  ({
    network,
    connected: alive,
    connectionId: 'c',
    peerAddress: 'x',
    connectedSinceMs: 0,
    lastSeenMs: alive ? nowMs : 0,
    ...(alive ? {} : { disconnectedAtMs: 0 }),
    restarts: 0,
  }) as unknown as AgentState;

/** Pairs from scratch, the way the mesh was built before the index: live ends only. */
function referencePairs(
  states: Iterable<PathState>,
  alive: (node: string, network: AgentNetwork) => boolean,
  network: AgentNetwork,
): Pair[] {
  const pairs = new Map<string, Pair>();
  for (const s of states) {
    if (s.network !== network) continue;
    const sourceLive = alive(s.source, 'host') || (network === 'pod' && alive(s.source, 'pod'));
    if (!sourceLive || !alive(s.destination, network)) continue;
    const key = `${s.source}>${s.destination}`;
    let pair = pairs.get(key);
    if (!pair) pairs.set(key, (pair = { source: s.source, destination: s.destination, network }));
    if (s.protocol === 'tcp') pair.tcp = s;
    else if (s.size === 'large') pair.large = s;
    else pair.udp = s;
  }
  return [...pairs.values()].sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : 1));
}

/** The rules over a plain pair list, as the mesh was localized before the index: the reference. `verdict` is true for a bad pair, false for a good one, undefined when unknown. */
function localize(pairs: readonly Pair[], verdict: (pair: Pair) => boolean | undefined): Localized[] {
  const counts = new Map<string, { known: number; bad: number; edges: { pair: Pair; bad: boolean }[] }>();
  const total = { known: 0, bad: 0 };
  const entry = (node: string) => {
    let c = counts.get(node);
    if (!c) counts.set(node, (c = { known: 0, bad: 0, edges: [] }));
    return c;
  };
  for (const pair of pairs) {
    const v = verdict(pair);
    if (v === undefined) continue;
    const edge = { pair, bad: v };
    total.known += 1;
    if (v) total.bad += 1;
    for (const node of [pair.source, pair.destination]) {
      const c = entry(node);
      c.known += 1;
      if (v) c.bad += 1;
      c.edges.push(edge);
    }
  }
  const accepted = new Set<string>();
  const out: Localized[] = [];
  for (;;) {
    let best: string | undefined;
    let bestRatio = 0;
    for (const [node, c] of counts) {
      if (accepted.has(node) || c.known === 0 || c.bad === 0) continue;
      const ratio = c.bad / c.known;
      if (ratio > bestRatio || (ratio === bestRatio && best !== undefined && node < best)) [best, bestRatio] = [node, ratio];
    }
    if (best === undefined || bestRatio < nodeBadRatio) break;
    const c = counts.get(best)!;
    const othersKnown = total.known - c.known;
    const othersGood = othersKnown - (total.bad - c.bad);
    if (othersKnown === 0 || othersGood / othersKnown < othersGoodRatio) break;
    const active = c.edges.filter((e) => !accepted.has(e.pair.source === best ? e.pair.destination : e.pair.source));
    const side = (outbound: boolean) => {
      const edges = active.filter((e) => (e.pair.source === best) === outbound);
      return { known: edges.map((e) => e.pair), bad: edges.filter((e) => e.bad).map((e) => e.pair) };
    };
    out.push({ node: best, outbound: side(true), inbound: side(false), others: { known: othersKnown, good: othersGood } });
    accepted.add(best);
    for (const e of active) {
      const other = counts.get(e.pair.source === best ? e.pair.destination : e.pair.source)!;
      other.known -= 1;
      if (e.bad) other.bad -= 1;
      total.known -= 1;
      if (e.bad) total.bad -= 1;
    }
    c.known = 0;
    c.bad = 0;
  }
  return out.sort((a, b) => (a.node < b.node ? -1 : 1));
}

const plain = (list: Localized[]) =>
  list.map((l) => ({
    node: l.node,
    outbound: {
      known: l.outbound.known.map((p) => `${p.source}>${p.destination}`),
      bad: l.outbound.bad.map((p) => `${p.source}>${p.destination}`),
    },
    inbound: {
      known: l.inbound.known.map((p) => `${p.source}>${p.destination}`),
      bad: l.inbound.bad.map((p) => `${p.source}>${p.destination}`),
    },
    others: l.others,
  }));

describe('mesh index', () => {
  it('counts a node whose host agent answers for the pod network (via-overlay, no pod agent) as a live pod-network end', () => {
    const nowMs = 1_000_000;
    const { feed, set } = createFakeFeed();
    const host = (viaOverlay: boolean) =>
      ({ ...agent('host', nowMs, true), hello: { podProbeAddress: viaOverlay ? '198.18.2.0' : '' } }) as unknown as AgentState;
    const snapshot = (viaOverlay: boolean) =>
      ({ nowMs, nodes: ['node-1', 'node-2'].map((name) => ({ name, hostAgent: host(viaOverlay) })) }) as unknown as ClusterSnapshot;
    const index = createMeshIndex(feed, defaultDetectorConfig);
    set('node-1>node-2', {
      source: 'node-1',
      destination: 'node-2',
      network: 'pod',
      protocol: 'udp',
      size: 'small',
      failing: false,
      healthy: true,
      attempts: 3,
      failures: 0,
      lossRatio: 0,
      newestMs: nowMs,
      sampled: false,
      okSizeBytes: 72,
      failedSizeBytes: 0,
    });
    index.sync(snapshot(false));
    expect(index.pairs('pod')).toEqual([]);
    index.sync(snapshot(true));
    expect(index.pairs('pod').map((p) => `${p.source}>${p.destination}`)).toEqual(['node-1>node-2']);
  });

  // Seeds 4 and 5 settle every 3 changed pairs: pairs counted halfway through a burst, then changed again.
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`localizes like the from-scratch reference through random changes (seed ${seed})`, () => {
      const rand = random(seed);
      const nodes = Array.from({ length: 12 }, (_, i) => `node-${i + 1}`);
      const { feed, states, set } = createFakeFeed();
      const liveness = new Map(nodes.map((n) => [n, { host: true, pod: true }]));
      // A few "bad" nodes make most of their paths fail, so localization has work to do.
      const badness = new Map(nodes.map((n) => [n, rand() < 0.2 ? 0.9 : 0.05]));
      let nowMs = 1_000_000;
      const snapshot = (): ClusterSnapshot =>
        ({
          nowMs,
          nodes: nodes.map((name): NodeState => ({
            name,
            hostAgent: agent('host', nowMs, liveness.get(name)!.host),
            podAgent: agent('pod', nowMs, liveness.get(name)!.pod),
          })),
        }) as unknown as ClusterSnapshot;
      const index = createMeshIndex(feed, defaultDetectorConfig, seed > 3 ? { settleEvery: 3 } : {});
      index.sync(snapshot());
      const randomState = (
        source: string,
        destination: string,
        network: AgentNetwork,
        protocol: PathProtocol,
        size: SizeClass,
      ): PathState => {
        const p = Math.max(badness.get(source)!, badness.get(destination)!);
        const failing = rand() < p;
        const healthy = !failing && rand() < 0.9;
        return {
          source,
          destination,
          network,
          protocol,
          size,
          failing,
          healthy,
          attempts: 3,
          failures: failing ? 3 : 0,
          lossRatio: failing ? 1 : 0,
          newestMs: nowMs,
          sampled: false,
          okSizeBytes: 72,
          failedSizeBytes: 0,
        };
      };
      const kinds: [PathProtocol, SizeClass][] = [
        ['udp', 'small'],
        ['udp', 'large'],
        ['tcp', 'small'],
      ];
      let checks = 0;
      for (let step = 0; step < 60; step++) {
        nowMs += 1000;
        // A burst of state changes: add, replace or drop paths.
        for (let i = 0; i < 40; i++) {
          const s = nodes[Math.floor(rand() * nodes.length)]!;
          const d = nodes[Math.floor(rand() * nodes.length)]!;
          if (s === d) continue;
          const network = meshNetworks[Math.floor(rand() * 2)]!;
          const [protocol, size] = kinds[Math.floor(rand() * kinds.length)]!;
          const key = `${s}|${d}|${network}|${protocol}|${size}`;
          set(key, rand() < 0.15 ? undefined : randomState(s, d, network, protocol, size));
        }
        // Now and then an agent goes away or comes back.
        if (rand() < 0.3) {
          const n = liveness.get(nodes[Math.floor(rand() * nodes.length)]!)!;
          if (rand() < 0.5) n.host = !n.host;
          else n.pod = !n.pod;
        }
        index.sync(snapshot());
        const alive = (node: string, network: AgentNetwork) => liveness.get(node)![network];
        for (const network of meshNetworks) {
          const pairs = referencePairs(states.values(), alive, network);
          expect(index.pairs(network).map((p) => `${p.source}>${p.destination}`)).toEqual(pairs.map((p) => `${p.source}>${p.destination}`));
          expect(index.failingPairs(network).map((p) => `${p.source}>${p.destination}`)).toEqual(
            pairs.filter((p) => p.udp?.failing || p.tcp?.failing).map((p) => `${p.source}>${p.destination}`),
          );
          for (const verdict of Object.keys(meshVerdicts) as MeshVerdict[]) {
            const expected = plain(localize(pairs, meshVerdicts[verdict]));
            expect(plain(index.localize(network, verdict))).toEqual(expected);
            if (expected.length) checks += 1;
          }
        }
      }
      // The random mesh did exercise localization (nodes were accepted), not only empty answers.
      expect(checks).toBeGreaterThan(10);
      // It holds one pair per directed pair with a state, and nothing once every state is gone.
      const pairKeys = (): number => new Set([...states.values()].map((s) => `${s.network}|${s.source}|${s.destination}`)).size;
      expect(pairKeys()).toBeGreaterThan(0);
      expect(index.heldPairs()).toBe(pairKeys());
      for (const key of [...states.keys()]) set(key, undefined);
      expect(index.heldPairs()).toBe(0);
      index.close();
    });
  }
});
