import { describe, expect, it } from 'vitest';
import { coverageBound, createPeerSample } from './peer-sample.ts';
import type { PeerTarget } from './probe-types.ts';

const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `node-${i + 1}`);
const targetsOf = (peers: string[]): PeerTarget[] =>
  peers.flatMap((nodeName, i) => [
    { nodeName, network: 1, address: `192.0.2.${(i % 250) + 1}`, port: 7946, mtu: 1500 },
    { nodeName, network: 2, address: `198.18.${i % 250}.2`, port: 7946, mtu: 1450 },
  ]);

/** Runs `rounds` rounds and returns, per peer, the largest gap (in rounds) between probes, counting the start and the end. */
function maxGaps(sample: ReturnType<typeof createPeerSample>, peers: string[], rounds: number): { gap: number; perRound: number } {
  const last = new Map(peers.map((p) => [p, 0]));
  const gaps = new Map(peers.map((p) => [p, 0]));
  const targets = targetsOf(peers);
  let perRound = 0;
  for (let r = 1; r <= rounds; r++) {
    const picked = sample.next(targets);
    const nodes = new Set(picked.map((t) => t.nodeName));
    perRound = Math.max(perRound, nodes.size);
    // Both networks of a sampled peer node go together.
    expect(picked.length).toBe(nodes.size * 2);
    for (const p of nodes) {
      gaps.set(p, Math.max(gaps.get(p)!, r - last.get(p)!));
      last.set(p, r);
    }
  }
  for (const p of peers) gaps.set(p, Math.max(gaps.get(p)!, rounds + 1 - last.get(p)!));
  return { gap: Math.max(...gaps.values()), perRound };
}

describe('peer sample', () => {
  it('probes every peer every round up to the full-mesh threshold', () => {
    const sample = createPeerSample({ selfNode: 'node-0', fullMeshMaxPeers: 100, sampleSize: 32 });
    const targets = targetsOf(names(100));
    expect(sample.next(targets)).toEqual(targets);
    expect(sample.boundRounds(100)).toBe(1);
  });

  // Every ordered pair (self → peer) is probed within ceil((N-1)/k) rounds: checked for the
  // full N-1 peers of several agents, over 3 full sweeps, for N up to 5,000.
  it.each([
    [2, 1],
    [3, 1],
    [3, 2],
    [100, 7],
    [101, 32],
    [101, 100],
    [1000, 32],
    [1000, 33],
    [5000, 32],
    [5000, 64],
    [5000, 4999],
  ])(
    'covers every pair within ceil((N-1)/k) rounds: N=%i, k=%i',
    (n, k) => {
      const all = names(n);
      for (const self of [all[0]!, all[n - 1]!]) {
        const peers = all.filter((p) => p !== self);
        const sample = createPeerSample({ selfNode: self, fullMeshMaxPeers: 0, sampleSize: k });
        const bound = Math.ceil((n - 1) / k);
        expect(sample.boundRounds(n - 1)).toBe(bound);
        expect(coverageBound(n - 1, 0, k)).toBe(bound);
        const { gap, perRound } = maxGaps(sample, peers, 3 * bound + 1);
        expect(gap).toBeLessThanOrEqual(bound);
        expect(perRound).toBe(Math.min(k, n - 1));
      }
      // N = 5,000 walks ~470 rounds of 5,000 peers: seconds of CPU, more on a loaded machine.
    },
    120_000,
  );

  it('uses a different rotation per agent (spreads inbound load)', () => {
    const peers = names(1000);
    const a = createPeerSample({ selfNode: 'node-a', fullMeshMaxPeers: 0, sampleSize: 32 }).next(targetsOf(peers));
    const b = createPeerSample({ selfNode: 'node-b', fullMeshMaxPeers: 0, sampleSize: 32 }).next(targetsOf(peers));
    const overlap = a.filter((t) => b.some((u) => u.nodeName === t.nodeName)).length;
    expect(overlap).toBeLessThan(a.length / 2);
  });

  it('keeps the bound for remaining peers across joins and leaves', () => {
    let peers = names(1000);
    const sample = createPeerSample({ selfNode: 'self', fullMeshMaxPeers: 0, sampleSize: 40 });
    const last = new Map<string, number>();
    const joinedAt = new Map<string, number>(peers.map((p) => [p, 0]));
    let worst = 0;
    let largest = peers.length;
    for (let r = 1; r <= 200; r++) {
      // Every 7 rounds: 30 peers leave, 50 join (names never seen before).
      if (r % 7 === 0) {
        const leaving = new Set(peers.filter((_, i) => (i * 13 + r) % peers.length < 30));
        peers = peers.filter((p) => !leaving.has(p));
        for (let j = 0; j < 50; j++) {
          const name = `join-${r}-${j}`;
          peers.push(name);
          joinedAt.set(name, r - 1);
        }
        largest = Math.max(largest, peers.length);
      }
      for (const t of sample.next(targetsOf(peers))) last.set(t.nodeName, r);
      for (const p of peers) worst = Math.max(worst, r - (last.get(p) ?? joinedAt.get(p)!));
    }
    expect(worst).toBeLessThanOrEqual(Math.ceil(largest / 40));
  });

  it('adds suspects on top of the sample until a round to them passes, bounded', () => {
    const peers = names(500);
    const sample = createPeerSample({ selfNode: 'self', fullMeshMaxPeers: 10, sampleSize: 8, maxSuspects: 3 });
    const first = [...new Set(sample.next(targetsOf(peers)).map((t) => t.nodeName))];
    sample.observe(new Map(first.map((p, i) => [p, i >= 4])));
    // Four failed, only the newest three kept.
    expect(sample.suspects.size).toBe(3);
    const second = new Set(sample.next(targetsOf(peers)).map((t) => t.nodeName));
    for (const s of sample.suspects) expect(second.has(s)).toBe(true);
    expect(second.size).toBe(8 + 3);
    const suspect = [...sample.suspects][0]!;
    sample.observe(new Map([[suspect, true]]));
    expect(sample.suspects.has(suspect)).toBe(false);
    // A suspect that left the peer set is not probed.
    const without = peers.filter((p) => !sample.suspects.has(p));
    const third = sample.next(targetsOf(without));
    expect(third.every((t) => !sample.suspects.has(t.nodeName))).toBe(true);
  });
});
