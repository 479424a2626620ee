// Probes the collector's target set from this pod agent: every round (the probe interval,
// ±10 % jitter), each target's Service address and each endpoint directly, at bounded
// concurrency; above maxProbesPerRound addresses a rotating window, so every address is
// reached within ceil(addresses / maxProbesPerRound) rounds. Results go up as a TargetBatch;
// while disconnected a round's batch is dropped (the next connected round reports afresh).
import { create } from '@bufbuild/protobuf';
import { ConnectRequestSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { TargetBatchSchema, type TargetSet } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { probeTargetAddress, type TargetProbeOptions, type TargetProbeResult } from './target-probe.ts';
import { acceptTargetSet, type ProbeAddress } from './accept-target-set.ts';

export interface TargetProberOptions {
  uplink: Pick<Uplink, 'send' | 'connected'>;
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  maxProbesPerRound: number;
  logger: Logger;
  probe?: (protocol: 'tcp' | 'dns', address: string, dnsQuery: string, options: TargetProbeOptions) => Promise<TargetProbeResult>;
  random?: () => number;
}

export interface TargetProber {
  setTargetSet(set: TargetSet): void;
  start(): void;
  /** Runs one round now (tests); resolves with the number of results sent, or -1 if not sent. */
  runRound(): Promise<number>;
  stop(): Promise<void>;
}

export function createTargetProber(options: TargetProberOptions): TargetProber {
  const log = options.logger.child({ component: 'target-prober' });
  const probe = options.probe ?? probeTargetAddress;
  const random = options.random ?? Math.random;
  const controller = new AbortController();
  let addresses: ProbeAddress[] = [];
  let generation = 0n;
  let offset = 0;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<number> | undefined;

  const round = async (): Promise<number> => {
    const all = addresses;
    const count = Math.min(all.length, options.maxProbesPerRound);
    const chosen = Array.from({ length: count }, (_, i) => all[(offset + i) % all.length]!);
    offset = all.length > 0 ? (offset + count) % all.length : 0;
    const signal = AbortSignal.any([controller.signal, AbortSignal.timeout(options.timeoutMs * 4 + options.intervalMs)]);
    const results: ReturnType<typeof toResult>[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < chosen.length && !signal.aborted) {
        const a = chosen[next++]!;
        const r = await probe(a.protocol, a.address, a.dnsQuery, { timeoutMs: options.timeoutMs, signal });
        results.push(toResult(a, r));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency, chosen.length)) }, lane));
    if (controller.signal.aborted || chosen.length === 0 || !options.uplink.connected) return -1;
    const batch = create(TargetBatchSchema, { targetSetGeneration: generation, results });
    return options.uplink.send(create(ConnectRequestSchema, { payload: { case: 'targetBatch', value: batch } })) ? results.length : -1;
  };

  const runRound = (): Promise<number> => {
    if (current) return current;
    current = round()
      .catch((err: unknown) => {
        log.error({ err }, 'target probe round failed');
        return -1;
      })
      .finally(() => {
        current = undefined;
      });
    return current;
  };

  const tick = (): void => {
    if (controller.signal.aborted) return;
    if (!current) void runRound();
    timer = setTimeout(tick, options.intervalMs * (0.9 + 0.2 * random()));
    timer.unref();
  };

  return {
    setTargetSet: (set) => {
      const accepted = acceptTargetSet(set);
      if (accepted.problems.length > 0)
        log.warn(
          { generation: set.generation.toString(), problems: accepted.problems.slice(0, 5), skipped: accepted.problems.length },
          'target set: some entries skipped',
        );
      if (accepted.addresses.length !== addresses.length || set.generation !== generation) {
        log.info(
          { generation: set.generation.toString(), targets: set.targets.length, addresses: accepted.addresses.length },
          'target set received',
        );
      }
      addresses = accepted.addresses;
      generation = set.generation;
      offset = 0;
    },
    start: () => {
      timer = setTimeout(tick, options.intervalMs * random());
      timer.unref();
    },
    runRound,
    stop: async () => {
      controller.abort();
      clearTimeout(timer);
      await current;
    },
  };
}

function toResult(a: ProbeAddress, r: TargetProbeResult) {
  return {
    target: a.target,
    address: a.address,
    ok: r.ok,
    rttSeconds: r.rttSeconds,
    error: r.error,
    sentAtUnixMs: BigInt(Math.round(r.sentAtUnixMs)),
  };
}
