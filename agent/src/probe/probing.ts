// Wires the probe pieces for either agent mode: worker runner, event-loop delay, scheduler.
import { create } from '@bufbuild/protobuf';
import { ConnectRequestSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { createBatchBuffer } from '../uplink/batch-buffer.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { createEventLoopDelay } from './event-loop-delay.ts';
import { createPathSummarizer } from './path-summary.ts';
import { createPeerSample } from './peer-sample.ts';
import { createProbeRunner } from './probe-runner.ts';
import { createProbeScheduler } from './probe-scheduler.ts';
import type { DnsTarget, PeerTarget } from './probe-types.ts';
import type { ProbeIdentity } from './probe-wire.ts';
import type { ProbeResponder } from './probe-responder.ts';

export interface ProbingOptions {
  identity: ProbeIdentity;
  targets: () => PeerTarget[];
  dns?: DnsTarget;
  intervalMs: number;
  timeoutMs: number;
  concurrency: number;
  /** Full mesh up to this many peer nodes; above, a rotating sample of sampleSize per round. */
  fullMeshMaxPeers: number;
  sampleSize: number;
  responder: Pick<ProbeResponder, 'drainReceipts'>;
  uplink: Pick<Uplink, 'send' | 'connected'>;
  /** Bounds of the buffer for batches made while the collector is unreachable. */
  bufferBatches?: number;
  bufferResults?: number;
  logger: Logger;
  /** Probe sockets and timing in the main thread instead of a worker thread (--prober-thread main). */
  inline?: boolean;
  /** One ProbeResult per probe instead of path summaries and coverage (the pre-issue-15 wire; for benchmarks and old collectors). */
  perProbeResults?: boolean;
}

export interface Probing {
  stop(): Promise<void>;
}

const probeBatchMessage = (batch: ProbeBatch) => create(ConnectRequestSchema, { payload: { case: 'probeBatch', value: batch } });

export function startProbing(options: ProbingOptions): Probing {
  const runner = createProbeRunner({ logger: options.logger, inline: options.inline ?? false });
  const loop = createEventLoopDelay();
  const buffer = createBatchBuffer({ logger: options.logger, maxBatches: options.bufferBatches, maxResults: options.bufferResults });
  const scheduler = createProbeScheduler({
    runner,
    identity: options.identity,
    targets: options.targets,
    sample: createPeerSample({
      selfNode: options.identity.nodeName,
      fullMeshMaxPeers: options.fullMeshMaxPeers,
      sampleSize: options.sampleSize,
    }),
    dns: options.dns,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
    drainReceipts: () => options.responder.drainReceipts(),
    eventLoopDelayP99Seconds: () => loop.takeP99Seconds(),
    // Disconnected: the batch is held (bounded) and sent, dated, with the first batch after
    // the reconnect — a round later, so the collector has heard from the other agents by then.
    send: (batch) => {
      const send = (b: ProbeBatch): boolean => options.uplink.send(probeBatchMessage(b));
      if (buffer.stats.held > 0 && options.uplink.connected) buffer.flush(send);
      if (buffer.stats.held === 0 && send(batch)) return true;
      buffer.hold(batch);
      return false;
    },
    logger: options.logger,
    ...(options.perProbeResults ? {} : { summarizer: createPathSummarizer() }),
  });
  scheduler.start();
  return {
    stop: async () => {
      await scheduler.stop();
      loop.stop();
      await runner.close();
    },
  };
}
