// Runs a probe round every interval (±10 % jitter) against the current peers (all of them,
// or above the full-mesh threshold the rotating sample plus suspects from peer-sample.ts),
// never two rounds at once (a tick that finds the last round still running is skipped),
// and turns each round's results plus the responder's receipts into one ProbeBatch.
import { create } from '@bufbuild/protobuf';
import { ProbeBatchSchema, ProbeResultSchema, type ProbeBatch, type ProbeReceipt } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import type { PathSummarizer } from './path-summary.ts';
import type { PeerSample } from './peer-sample.ts';
import type { ProbeRunner } from './probe-runner.ts';
import type { DnsTarget, PeerTarget, RawResult } from './probe-types.ts';
import type { ProbeIdentity } from './probe-wire.ts';

export interface ProbeSchedulerOptions {
  runner: Pick<ProbeRunner, 'run'>;
  identity: ProbeIdentity;
  /** Called at the start of every round: the current peers to probe. */
  targets: () => PeerTarget[];
  /** Chooses each round's peers from the targets; absent = full mesh. */
  sample?: PeerSample;
  dns?: DnsTarget;
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  spacingMs?: number;
  drainReceipts: () => ProbeReceipt[];
  eventLoopDelayP99Seconds: () => number;
  /** Returns false when the batch could not be sent (disconnected): it is dropped. */
  send: (batch: ProbeBatch) => boolean;
  logger: Logger;
  random?: () => number;
  /** Report by exception (path summaries and coverage); absent = one ProbeResult per probe. */
  summarizer?: PathSummarizer;
}

export interface ProbeScheduler {
  start(signal?: AbortSignal): void;
  /** Aborts the running round and waits for it; no batch is sent after stop. */
  stop(): Promise<void>;
  readonly stats: { rounds: number; skipped: number; sent: number; dropped: number };
}

export function toProbeResult(raw: RawResult) {
  return create(ProbeResultSchema, { ...raw, sentAtUnixMs: BigInt(Math.round(raw.sentAtUnixMs)) });
}

/** Per peer node: true when every probe to it passed this round. */
export function outcomeByPeer(results: readonly RawResult[]): Map<string, boolean> {
  const outcome = new Map<string, boolean>();
  for (const r of results) if (r.targetNode) outcome.set(r.targetNode, (outcome.get(r.targetNode) ?? true) && r.ok);
  return outcome;
}

export function createProbeScheduler(options: ProbeSchedulerOptions): ProbeScheduler {
  const log = options.logger.child({ component: 'probe-scheduler' });
  const random = options.random ?? Math.random;
  const stats = { rounds: 0, skipped: 0, sent: 0, dropped: 0 };
  const controller = new AbortController();
  // A round is bounded by its probes' timeouts; this is the backstop for a stuck one.
  const roundDeadlineMs = Math.max(options.intervalMs, options.timeoutMs) * 4;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> | undefined;

  const round = async (): Promise<void> => {
    const all = options.targets();
    const peers = options.sample ? options.sample.next(all) : all;
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(roundDeadlineMs)]);
    const results = await options.runner.run(
      {
        identity: options.identity,
        peers,
        dns: options.dns,
        timeoutMs: options.timeoutMs,
        concurrency: options.concurrency,
        spacingMs: options.spacingMs ?? 50,
      },
      signal,
    );
    if (controller.signal.aborted) return;
    stats.rounds++;
    if (options.sample) options.sample.observe(outcomeByPeer(results));
    const report = options.summarizer?.summarize(results);
    const batch = create(ProbeBatchSchema, {
      results: (report ? report.dns : results).map(toProbeResult),
      ...(report ? { pathSummaries: report.summaries, coverage: report.coverage } : {}),
      receipts: options.drainReceipts(),
      eventLoopDelayP99Seconds: options.eventLoopDelayP99Seconds(),
      intervalSeconds: Math.max(1, Math.round(options.intervalMs / 1000)),
      sampleRounds: options.sample ? options.sample.boundRounds(new Set(all.map((t) => t.nodeName)).size) : 1,
    });
    if (options.send(batch)) stats.sent++;
    else stats.dropped++;
  };

  const tick = (): void => {
    if (controller.signal.aborted) return;
    if (current) stats.skipped++;
    else {
      current = round()
        .catch((err: unknown) => log.error({ err }, 'probe round failed'))
        .finally(() => {
          current = undefined;
        });
    }
    timer = setTimeout(tick, options.intervalMs * (0.9 + 0.2 * random()));
  };

  return {
    stats,
    start: (signal) => {
      signal?.addEventListener('abort', () => void controller.abort(), { once: true });
      log.info(
        {
          intervalMs: options.intervalMs,
          timeoutMs: options.timeoutMs,
          dns: options.dns ? `${options.dns.host}:${options.dns.port}` : undefined,
        },
        'probe scheduler started',
      );
      // The first round at a random point of the first interval, so agents started together spread out.
      timer = setTimeout(tick, options.intervalMs * random());
    },
    stop: async () => {
      controller.abort();
      clearTimeout(timer);
      await current;
    },
  };
}
