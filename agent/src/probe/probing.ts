// Wires the probe pieces for either agent mode: worker runner, event-loop delay, scheduler.
import { create } from '@bufbuild/protobuf';
import { ConnectRequestSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { createEventLoopDelay } from './event-loop-delay.ts';
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
  uplink: Pick<Uplink, 'send'>;
  logger: Logger;
}

export interface Probing {
  stop(): Promise<void>;
}

export function startProbing(options: ProbingOptions): Probing {
  const runner = createProbeRunner({ logger: options.logger });
  const loop = createEventLoopDelay();
  const scheduler = createProbeScheduler({
    runner,
    identity: options.identity,
    targets: options.targets,
    sample: createPeerSample({ selfNode: options.identity.nodeName, fullMeshMaxPeers: options.fullMeshMaxPeers, sampleSize: options.sampleSize }),
    dns: options.dns,
    intervalMs: options.intervalMs,
    timeoutMs: options.timeoutMs,
    concurrency: options.concurrency,
    drainReceipts: () => options.responder.drainReceipts(),
    eventLoopDelayP99Seconds: () => loop.takeP99Seconds(),
    // Disconnected: the batch is dropped (the collector rebuilds from the next ones).
    send: (batch) => options.uplink.send(create(ConnectRequestSchema, { payload: { case: 'probeBatch', value: batch } })),
    logger: options.logger,
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
