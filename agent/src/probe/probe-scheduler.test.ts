import { create } from '@bufbuild/protobuf';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProbeProtocol, ProbeReceiptSchema, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createPathSummarizer } from './path-summary.ts';
import { createPeerSample } from './peer-sample.ts';
import { createProbeScheduler, outcomeByPeer, type ProbeSchedulerOptions } from './probe-scheduler.ts';
import type { RawResult, RoundRequest } from './probe-types.ts';

const raw: RawResult = {
  targetNode: 'node-2',
  protocol: ProbeProtocol.UDP,
  ok: true,
  rttSeconds: 0.001,
  sizeBytes: 32,
  error: '',
  sentAtUnixMs: 1_700_000_000_000,
  targetNetwork: 1,
  target: '',
  large: false,
  sendDelaySeconds: 0,
};
// Fake timers: the scheduler's ticks and the scripted rounds advance only when the test says so.
const advance = async (ms: number): Promise<void> => void (await vi.advanceTimersByTimeAsync(ms));
beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function setup(overrides: Partial<ProbeSchedulerOptions> & { roundMs?: number } = {}) {
  const batches: ProbeBatch[] = [];
  const requests: RoundRequest[] = [];
  let receiptCount = 0;
  const options: ProbeSchedulerOptions = {
    runner: {
      run: async (request, signal) => {
        requests.push(request);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, overrides.roundMs ?? 1);
          signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
        });
        return [raw];
      },
    },
    identity: { nodeName: 'node-1', network: 1 },
    targets: () => [{ nodeName: 'node-2', network: 1, address: '192.0.2.12', port: 7946, mtu: 1500 }],
    intervalMs: 40,
    timeoutMs: 1000,
    concurrency: 4,
    drainReceipts: () => [create(ProbeReceiptSchema, { sourceNode: 'node-3', requests: ++receiptCount })],
    eventLoopDelayP99Seconds: () => 0.002,
    send: (batch) => (batches.push(batch), true),
    logger: createSilentLogger(),
    random: () => 0.5,
    ...overrides,
  };
  return { scheduler: createProbeScheduler(options), batches, requests };
}

describe('probe scheduler', () => {
  it('sends one batch per round with results, drained receipts, loop delay and interval', async () => {
    const { scheduler, batches, requests } = setup({ intervalMs: 30 });
    scheduler.start();
    await advance(120);
    await scheduler.stop();
    // Rounds start at 15, 45, 75 and 105 ms (the first at random × interval, then every interval).
    expect(batches).toHaveLength(4);
    const first = batches[0]!;
    expect(first.results[0]).toMatchObject({ targetNode: 'node-2', ok: true, sentAtUnixMs: 1_700_000_000_000n });
    expect(first.receipts.map((r) => r.requests)).toEqual([1]);
    expect(batches[1]!.receipts.map((r) => r.requests)).toEqual([2]);
    expect(first.eventLoopDelayP99Seconds).toBe(0.002);
    expect(first.intervalSeconds).toBe(1);
    expect(requests[0]).toMatchObject({ identity: { nodeName: 'node-1' }, timeoutMs: 1000, concurrency: 4, spacingMs: 50 });
    expect(requests[0]!.peers).toHaveLength(1);
  });

  it('with a summarizer, reports peer probes by exception: a fine target is covered, not listed', async () => {
    const { scheduler, batches } = setup({ intervalMs: 30, summarizer: createPathSummarizer() });
    scheduler.start();
    // The first round starts at random (0.5) × 30 ms and takes 1 ms.
    await advance(20);
    await scheduler.stop();
    const first = batches[0]!;
    expect(first.results).toEqual([]);
    expect(first.pathSummaries).toEqual([]);
    expect(first.coverage.map((c) => [c.targetNetwork, c.targetNodes, c.udpSmall])).toEqual([[1, ['node-2'], 1]]);
    expect(first.receipts.map((r) => r.requests)).toEqual([1]);
  });

  it('never overlaps rounds: ticks during a running round are skipped', async () => {
    const { scheduler, requests } = setup({ intervalMs: 20, roundMs: 90 });
    scheduler.start();
    await advance(200);
    await scheduler.stop();
    // Rounds at 10 and 110 ms (each 90 ms long); the four ticks inside each are skipped.
    expect(requests).toHaveLength(2);
    expect(scheduler.stats.skipped).toBe(8);
  });

  it('stops promptly, aborting a running round, and sends nothing after stop', async () => {
    const { scheduler, batches, requests } = setup({ intervalMs: 10, roundMs: 10_000, random: () => 0 });
    scheduler.start();
    await advance(30);
    expect(requests).toHaveLength(1); // a round is running
    // No timer advances here: stop resolves without waiting the 10 s round out.
    await scheduler.stop();
    expect(batches).toHaveLength(0);
    await advance(20_000);
    expect(batches).toHaveLength(0);
  });

  it('counts a batch that could not be sent as dropped', async () => {
    const { scheduler } = setup({ intervalMs: 20, send: () => false });
    scheduler.start();
    await advance(70);
    await scheduler.stop();
    expect(scheduler.stats.dropped).toBe(3); // rounds at 10, 30 and 50 ms
    expect(scheduler.stats.sent).toBe(0);
  });

  it('jitters the interval by ±10 %', async () => {
    const starts: number[] = [];
    const { scheduler } = setup({
      intervalMs: 50,
      random: () => 1,
      runner: { run: async () => (starts.push(Date.now()), []) },
    });
    scheduler.start();
    await advance(250);
    await scheduler.stop();
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    for (const gap of gaps) expect(gap).toBe(55); // random() = 1: the interval + 10 %
  });

  it('above the threshold probes the sample plus suspects and reports the coverage bound', async () => {
    const targets = Array.from({ length: 10 }, (_, i) => ({
      nodeName: `peer-${i}`,
      network: 1,
      address: `192.0.2.${i + 10}`,
      port: 7946,
      mtu: 1500,
    }));
    const requests: RoundRequest[] = [];
    const { scheduler, batches } = setup({
      intervalMs: 20,
      targets: () => targets,
      sample: createPeerSample({ selfNode: 'node-1', fullMeshMaxPeers: 4, sampleSize: 3 }),
      // peer-0 never answers: once seen failing it is probed every round.
      runner: {
        run: async (request) =>
          (requests.push(request), request.peers).map((p) => ({ ...raw, targetNode: p.nodeName, ok: p.nodeName !== 'peer-0' })),
      },
    });
    scheduler.start();
    await advance(250);
    await scheduler.stop();
    expect(batches.length).toBeGreaterThanOrEqual(5);
    expect(batches[0]!.sampleRounds).toBe(4);
    const firstWith = requests.findIndex((r) => r.peers.some((p) => p.nodeName === 'peer-0'));
    expect(firstWith).toBeGreaterThanOrEqual(0);
    expect(firstWith).toBeLessThan(4);
    for (const r of requests.slice(firstWith)) expect(r.peers.map((p) => p.nodeName)).toContain('peer-0');
    for (const r of requests) expect(r.peers.length).toBeLessThanOrEqual(4);
  });

  it('judges a peer by all its probes in the round', () => {
    const outcome = outcomeByPeer([
      { ...raw, targetNode: 'a' },
      { ...raw, targetNode: 'a', ok: false },
      { ...raw, targetNode: 'b' },
      { ...raw, targetNode: '' },
    ]);
    expect([...outcome]).toEqual([
      ['a', false],
      ['b', true],
    ]);
  });
});
