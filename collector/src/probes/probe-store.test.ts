import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { attemptCount, attemptsOf } from './attempt-log.ts';
import { createProbeStore, maxAttemptsPerPath, maxIntervalSeconds, pathKeyOf } from './probe-store.ts';
import { buildProbeView } from './probe-view.ts';

const udp = (targetNode: string, ok: boolean) => ({
  targetNode,
  protocol: ProbeProtocol.UDP,
  ok,
  rttSeconds: ok ? 0.001 : 0,
  sizeBytes: 72,
  targetNetwork: Network.HOST,
});
const batch = (results: ReturnType<typeof udp>[]) => create(ProbeBatchSchema, { results, intervalSeconds: 5 });

describe('probe store', () => {
  it('keeps a bounded ring per path, only toward known nodes, and forgets agents', () => {
    const store = createProbeStore({ isKnownNode: (n) => n === 'node-2' });
    const key = { node: 'node-1', network: 'host' as const };
    store.ingest(
      key,
      batch(Array.from({ length: 100 }, () => udp('node-2', true)).concat([udp('ghost', false), udp('node-1', false)])),
      1_000,
    );
    const [agent] = [...store.agents()];
    expect([...agent!.paths.values()].map((p) => [p.destination, attemptCount(p.attempts)])).toEqual([['node-2', maxAttemptsPerPath]]);
    store.forget('node-1');
    expect([...store.agents()]).toEqual([]);
  });

  it('drops attempts and paths older than the retention on the next batch', () => {
    const store = createProbeStore({ isKnownNode: () => true, retentionMs: 60_000 });
    const key = { node: 'node-1', network: 'host' as const };
    store.ingest(key, batch([udp('node-2', true), udp('node-3', true)]), 0);
    store.ingest(key, batch([udp('node-2', false)]), 61_000);
    const paths = [...[...store.agents()][0]!.paths.values()];
    expect(paths.map((p) => [p.destination, attemptsOf(p.attempts).map((a) => a.ok)])).toEqual([['node-2', [false]]]);
  });

  it('views a path as failing after 3 straight failures, healthy after 3 successes, and unknown once stale', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const key = { node: 'node-1', network: 'host' as const };
    store.ingest(key, batch([udp('node-2', true), udp('node-2', true), udp('node-2', true)]), 0);
    expect(buildProbeView(store, 0).paths[0]).toMatchObject({ healthy: true, failing: false, attempts: 3, rttP50Seconds: 0.001 });
    store.ingest(key, batch([udp('node-2', false), udp('node-2', false), udp('node-2', false)]), 5_000);
    expect(buildProbeView(store, 5_000).paths[0]).toMatchObject({
      healthy: false,
      failing: true,
      attempts: 6,
      failures: 3,
      lossRatio: 0.5,
    });
    expect(buildProbeView(store, 20_001).paths).toEqual([]);
  });

  it('discards attempts toward a restarted destination made before it was back plus one interval, and counts them', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const key = { node: 'node-3', network: 'host' as const };
    // node-2's agent was down: its responder did not answer.
    store.ingest(key, batch([udp('node-2', false), udp('node-2', false), udp('node-2', false)]), 0);
    store.ingest(key, batch([udp('node-4', true), udp('node-4', true), udp('node-4', true)]), 0);
    store.ingest({ node: 'node-2', network: 'host' }, batch([udp('node-3', true)]), 0);
    expect(buildProbeView(store, 1_000).paths.find((p) => p.destination === 'node-2')).toMatchObject({ failing: true });
    store.destinationReset('node-2', 'host', 2_000);
    // Its previous process's own record is gone; old attempts toward it no longer count.
    expect([...store.agents()].map((a) => a.node)).toEqual(['node-3']);
    expect(buildProbeView(store, 2_000).paths.map((p) => p.destination)).toEqual(['node-4']);
    // A batch in flight (probed while it was still down) arrives within the grace: dropped.
    store.ingest(key, batch([udp('node-2', false), udp('node-2', false), udp('node-4', true)]), 6_000);
    expect(store.discardedResults).toBe(2);
    expect(buildProbeView(store, 6_000).paths.map((p) => p.destination)).toEqual(['node-4']);
    // After the grace, fresh attempts count again.
    store.ingest(key, batch([udp('node-2', true), udp('node-2', true), udp('node-2', true)]), 7_500);
    expect(buildProbeView(store, 7_500).paths.find((p) => p.destination === 'node-2')).toMatchObject({
      healthy: true,
      failing: false,
      attempts: 3,
    });
    // Only that destination and network: the pod network toward node-2 is untouched.
    expect(store.notBefore('node-2', 'pod')).toBe(0);
    expect(store.notBefore('node-2', 'host')).toBe(7_000);
  });

  it('keeps intervals per agent and capped: one batch claiming an hour neither widens others nor holds back results for an hour', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const honest = { node: 'node-3', network: 'host' as const };
    const hostile = { node: 'node-9', network: 'host' as const };
    store.ingest(honest, batch([udp('node-2', true)]), 0);
    store.ingest(hostile, create(ProbeBatchSchema, { results: [udp('node-2', true)], intervalSeconds: 3600 }), 0);
    expect(store.agent('node-9', 'host')!.intervalSeconds).toBe(maxIntervalSeconds);
    expect(store.agent('node-3', 'host')!.intervalSeconds).toBe(5);
    expect(store.maxIntervalSeconds).toBe(maxIntervalSeconds);
    // node-2 comes back: the honest source's results count again after its own 5 s, not 60 s or an hour.
    store.destinationReset('node-2', 'host', 10_000);
    store.ingest(honest, batch([udp('node-2', true)]), 14_000);
    expect(store.discardedResults).toBe(1);
    store.ingest(honest, batch([udp('node-2', true)]), 15_500);
    expect(store.discardedResults).toBe(1);
    // The hostile agent leaves and takes its interval with it.
    store.forget('node-9');
    expect(store.maxIntervalSeconds).toBe(5);
  });

  it('a repair point voids the failures from and to the node, keeps its successes, and discards failed results in flight for one interval', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const n1 = { node: 'node-1', network: 'host' as const };
    const n3 = { node: 'node-3', network: 'host' as const };
    store.ingest(n1, batch([udp('node-3', true), udp('node-3', true), udp('node-3', true)]), 0);
    store.ingest(
      n1,
      batch([
        udp('node-3', false),
        udp('node-3', false),
        udp('node-3', false),
        udp('node-2', false),
        udp('node-2', false),
        udp('node-2', false),
      ]),
      5_000,
    );
    store.ingest(n3, batch([udp('node-1', false), udp('node-1', false), udp('node-1', false)]), 5_000);
    expect(
      buildProbeView(store, 5_000)
        .failingPaths.map((p) => `${p.source}>${p.destination}`)
        .sort(),
    ).toEqual(['node-1>node-2', 'node-1>node-3', 'node-3>node-1']);
    store.repairPoint(new Set(['node-3']), 6_000);
    // From and to node-3: the failures are gone, the successes stay; node-1→node-2 is not node-3's.
    expect(
      attemptsOf(store.agent('node-1', 'host')!.paths.get(pathKeyOf('node-3', 'host', 'udp', 'small'))!.attempts).map((a) => a.ok),
    ).toEqual([true, true, true]);
    expect(attemptCount(store.agent('node-3', 'host')!.paths.get(pathKeyOf('node-1', 'host', 'udp', 'small'))!.attempts)).toBe(0);
    expect(buildProbeView(store, 6_000).failingPaths.map((p) => `${p.source}>${p.destination}`)).toEqual(['node-1>node-2']);
    // A round in flight across the repair: its failures toward node-3 are discarded, its successes count.
    store.ingest(n1, batch([udp('node-3', false), udp('node-3', true), udp('node-2', false)]), 8_000);
    expect(store.discardedResults).toBe(1);
    // After one interval, failures count again (the fault may be back).
    store.ingest(n1, batch([udp('node-3', false)]), 11_001);
    expect(store.discardedResults).toBe(1);
    expect(
      attemptsOf(store.agent('node-1', 'host')!.paths.get(pathKeyOf('node-3', 'host', 'udp', 'small'))!.attempts).map((a) => a.ok),
    ).toEqual([true, true, true, true, false]);
  });

  it('expands path summaries and coverage into the attempts per-probe results would have made', () => {
    const sampled = (fields: object) => create(ProbeBatchSchema, { intervalSeconds: 5, sampleRounds: 20, ...fields });
    const visit = (node: string, udpSmallOk: boolean[]) => [
      ...udpSmallOk.map((ok) => ({
        targetNode: node,
        protocol: ProbeProtocol.UDP,
        ok,
        rttSeconds: ok ? 0.001 : 0,
        sizeBytes: 72,
        targetNetwork: Network.POD,
      })),
      ...[0, 1].map(() => ({
        targetNode: node,
        protocol: ProbeProtocol.UDP,
        ok: true,
        rttSeconds: 0.001,
        sizeBytes: 1450,
        large: true,
        targetNetwork: Network.POD,
      })),
      { targetNode: node, protocol: ProbeProtocol.TCP, ok: true, rttSeconds: 0.001, sizeBytes: 64, targetNetwork: Network.POD },
    ];
    const perProbe = createProbeStore({ isKnownNode: (n) => n !== 'ghost' });
    const byException = createProbeStore({ isKnownNode: (n) => n !== 'ghost' });
    const key = { node: 'node-1', network: 'host' as const };
    perProbe.ingest(key, sampled({ results: [...visit('node-2', [true, false, false]), ...visit('node-3', [true, true, true])] }), 1_000);
    byException.ingest(
      key,
      sampled({
        pathSummaries: [
          {
            targetNode: 'node-2',
            targetNetwork: Network.POD,
            protocol: ProbeProtocol.UDP,
            sent: 3,
            lost: 2,
            rttP50Seconds: 0.001,
            rttMaxSeconds: 0.001,
            sizeBytes: 72,
          },
          {
            targetNode: 'node-2',
            targetNetwork: Network.POD,
            protocol: ProbeProtocol.UDP,
            large: true,
            sent: 2,
            lost: 0,
            rttP50Seconds: 0.001,
            rttMaxSeconds: 0.001,
            sizeBytes: 1450,
          },
          {
            targetNode: 'node-2',
            targetNetwork: Network.POD,
            protocol: ProbeProtocol.TCP,
            sent: 1,
            lost: 0,
            rttP50Seconds: 0.001,
            rttMaxSeconds: 0.001,
            sizeBytes: 64,
          },
        ],
        coverage: [
          {
            targetNetwork: Network.POD,
            targetNodes: ['node-3', 'node-1', 'ghost'],
            udpSmall: 3,
            udpSmallBytes: 72,
            udpLarge: 2,
            udpLargeBytes: 1450,
            tcp: 1,
            tcpBytes: 64,
            rttP50Seconds: 0.001,
          },
        ],
      }),
      1_000,
    );
    const { paths: wanted } = buildProbeView(perProbe, 1_000);
    const { paths: got } = buildProbeView(byException, 1_000);
    const shape = (ps: typeof wanted) =>
      ps
        .map((p) => ({ ...p }))
        .sort((a, b) => `${a.destination}${a.protocol}${a.size}`.localeCompare(`${b.destination}${b.protocol}${b.size}`));
    expect(got).toHaveLength(6);
    expect(shape(got)).toEqual(shape(wanted));
    expect(got.find((p) => p.destination === 'node-2' && p.protocol === 'udp' && p.size === 'small')).toMatchObject({
      failing: true,
      attempts: 3,
      failures: 2,
    });
  });

  it('holds summaries and coverage to the same change points and restarts as results', () => {
    const store = createProbeStore({ isKnownNode: () => true });
    const key = { node: 'node-1', network: 'host' as const };
    const lossy = (node: string) =>
      create(ProbeBatchSchema, {
        intervalSeconds: 5,
        pathSummaries: [{ targetNode: node, targetNetwork: Network.HOST, protocol: ProbeProtocol.UDP, sent: 3, lost: 3, sizeBytes: 72 }],
      });
    const covered = (nodes: string[]) =>
      create(ProbeBatchSchema, {
        intervalSeconds: 5,
        coverage: [{ targetNetwork: Network.HOST, targetNodes: nodes, udpSmall: 3, udpSmallBytes: 72, rttP50Seconds: 0.001 }],
      });
    store.ingest(key, lossy('node-2'), 0);
    store.changePoint(new Set(['node-2']), 1_000);
    // Rounds in flight across the change (until 1 s + one interval) say nothing about after it.
    store.ingest(key, lossy('node-2'), 4_000);
    expect(store.discardedResults).toBe(3);
    expect(buildProbeView(store, 4_000).paths).toEqual([]);
    store.destinationReset('node-3', 'host', 4_000);
    store.ingest(key, covered(['node-3', 'node-4']), 5_000);
    expect(store.discardedResults).toBe(6);
    expect(buildProbeView(store, 5_000).paths.map((p) => [p.destination, p.healthy])).toEqual([['node-4', true]]);
    // A change point on the source: its whole batch is held back, summaries and coverage alike.
    store.changePoint(new Set(['node-1']), 6_000);
    store.ingest(key, lossy('node-4'), 7_000);
    expect(store.discardedResults).toBe(9);
    store.ingest(key, covered(['node-3']), 12_000);
    expect(buildProbeView(store, 12_000).paths.map((p) => [p.destination, p.healthy])).toEqual([['node-3', true]]);
  });
});
