// The compact tier of the probe book: healthy coverage keeps no attempt log; a loss moves the
// path to the attempt logs, a window without failures moves it back, staleness drops it.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createProbeStore } from './probe-store.ts';
import { createProbeViewBuilder } from './probe-view.ts';

const key = { node: 'node-1', network: 'host' as const };
const covered = (nodes: string[]) =>
  create(ProbeBatchSchema, {
    intervalSeconds: 5,
    coverage: [{ targetNetwork: Network.HOST, targetNodes: nodes, udpSmall: 3, udpSmallBytes: 72, rttP50Seconds: 0.001 }],
  });
const lossy = (node: string, lost: number) =>
  create(ProbeBatchSchema, {
    intervalSeconds: 5,
    pathSummaries: [
      {
        targetNode: node,
        targetNetwork: Network.HOST,
        protocol: ProbeProtocol.UDP,
        sent: 3,
        lost,
        rttP50Seconds: 0.002,
        rttMaxSeconds: 0.003,
        sizeBytes: 72,
      },
    ],
  });

describe('healthy paths (the probe book compact tier)', () => {
  it('keeps healthy coverage without attempt logs, moves a lossy path to one and back once its window is clean', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const builder = createProbeViewBuilder();
    const ingest = (batch: ReturnType<typeof covered>, atMs: number) => builder.touched(store, store.ingest(key, batch, atMs), atMs);
    const logged = () => [...store.agent('node-1', 'host')!.paths.values()].map((p) => p.destination);
    const state = (atMs: number, node: string) => builder.build(store, atMs).paths.find((p) => p.destination === node);

    ingest(covered(['node-2', 'node-3']), 0);
    expect(logged()).toEqual([]);
    expect(store.healthy.size).toBe(2);
    expect(state(0, 'node-2')).toMatchObject({ healthy: true, failing: false, attempts: 3, rttP50Seconds: 0.001, okSizeBytes: 72 });

    // A loss: node-2's path gets an attempt log seeded with its answered visit, and fails.
    ingest(lossy('node-2', 3), 5_000);
    expect(logged()).toEqual(['node-2']);
    expect(store.healthy.size).toBe(1);
    expect(state(5_000, 'node-2')).toMatchObject({ failing: true, attempts: 6, failures: 3 });
    // Recovered but the failures are still in the window: the log stays (direction and recovery need it).
    ingest(lossy('node-2', 0), 10_000);
    expect(state(10_000, 'node-2')).toMatchObject({ healthy: true, failing: false, failures: 3 });
    expect(logged()).toEqual(['node-2']);
    // The window holds no failure any more: back to the compact tier.
    ingest(lossy('node-2', 0), 15_000);
    expect(logged()).toEqual([]);
    expect(state(15_000, 'node-2')).toMatchObject({ healthy: true, failures: 0, rttP50Seconds: 0.002, rttP95Seconds: 0.003 });
    // node-3 was last visited at 0: stale after 3 intervals.
    expect(state(15_001, 'node-3')).toBeUndefined();
    expect(store.healthy.size).toBe(1);
  });

  it('drops compact paths on a change point, a restart of their destination and the source agent leaving', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const builder = createProbeViewBuilder();
    const destinations = (atMs: number) =>
      builder
        .build(store, atMs)
        .paths.map((p) => p.destination)
        .sort();
    builder.touched(store, store.ingest(key, covered(['node-2', 'node-3', 'node-4']), 0), 0);
    expect(destinations(0)).toEqual(['node-2', 'node-3', 'node-4']);
    store.changePoint(new Set(['node-2']), 100);
    expect(destinations(100)).toEqual(['node-3', 'node-4']);
    store.destinationReset('node-3', 'host', 200);
    expect(destinations(200)).toEqual(['node-4']);
    store.forget('node-1', 'host');
    expect(destinations(300)).toEqual([]);
    expect(store.healthy.size).toBe(0);
  });

  it('gives the same verdicts, counts and RTT as attempt logs over a full mesh, round after round', () => {
    const viaLogs = createProbeStore({ isKnownNode: () => true });
    const compact = createProbeStore({ isKnownNode: () => true });
    const logBuilder = createProbeViewBuilder();
    const compactBuilder = createProbeViewBuilder();
    for (let round = 0; round < 4; round++) {
      const atMs = round * 5_000;
      // Per-probe results go through an attempt log (until the path is healthy), coverage straight to a compact slot.
      const results = [0, 1, 2].map(() => ({
        targetNode: 'node-2',
        protocol: ProbeProtocol.TCP,
        ok: true,
        rttSeconds: 0.001,
        sizeBytes: 64,
        targetNetwork: Network.HOST,
      }));
      logBuilder.touched(
        viaLogs,
        viaLogs.ingest(key, create(ProbeBatchSchema, { intervalSeconds: 5, results: results.slice(0, 1) }), atMs),
        atMs,
      );
      const tcp = create(ProbeBatchSchema, {
        intervalSeconds: 5,
        coverage: [{ targetNetwork: Network.HOST, targetNodes: ['node-2'], tcp: 1, tcpBytes: 64, rttP50Seconds: 0.001 }],
      });
      compactBuilder.touched(compact, compact.ingest(key, tcp, atMs), atMs);
      const [a] = logBuilder.build(viaLogs, atMs).paths;
      const [b] = compactBuilder.build(compact, atMs).paths;
      // TCP goes once a round: healthy from the third answered round on, in both.
      expect({ ...b }).toEqual({ ...a });
      expect(b!.healthy).toBe(round >= 2);
    }
  });
});
