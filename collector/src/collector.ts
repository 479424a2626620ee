// Wires the collector together: model ← ingest; model → findings engine → metrics and HTTP.
import type { Logger } from '../../shared/src/logger.ts';
import type { ParsedFlags } from '../../shared/src/flags.ts';
import type { collectorFlags } from './collector-flags.ts';
import { createClusterModel } from './model/cluster-model.ts';
import { createFindingsEngine } from './findings/findings-engine.ts';
import { defaultDetectors } from './detectors/index.ts';
import { createCollectorMetrics } from './metrics/collector-metrics.ts';
import { buildServer } from './http/build-server.ts';
import { createIngestServer } from './ingest/ingest-server.ts';
import { createIngestTransport } from './ingest/ingest-transport.ts';
import { createLifecycleHold } from './model/lifecycle-hold.ts';
import { createNodeLifecycle } from './model/node-lifecycle.ts';

export interface Collector {
  listen(grpc: { host: string; port: number }, http: { host: string; port: number }): Promise<{ grpcPort: number; httpPort: number }>;
  shutdown(graceMs: number): Promise<void>;
}

export function createCollector(deps: { flags: ParsedFlags<typeof collectorFlags>; logger: Logger }): Collector {
  const { flags, logger } = deps;
  const now = Date.now;
  const model = createClusterModel({ now, nodeExpiryMs: flags.nodeExpiry });
  const lifecycle = createNodeLifecycle({
    model,
    logger,
    startedMs: now(),
    startupWindowMs: flags.convergeGrace,
    convergeGraceMs: flags.convergeGrace,
    departingWindowMs: flags.agentMissingAfter,
  });
  const hold = createLifecycleHold({ model, lifecycle });
  const findings = createFindingsEngine({
    model: hold.model,
    detectors: hold.detectors(defaultDetectors({ agentMissingAfterMs: flags.agentMissingAfter, heartbeatIntervalMs: flags.heartbeatInterval })),
    now,
    logger,
    resolvedRetentionMs: flags.resolvedRetention,
  });
  const metrics = createCollectorMetrics({ model, findings });
  findings.onEvaluated?.((seconds: number) => metrics.observeDetectorRun(seconds));
  let ready = false;
  const transport = createIngestTransport({
    tlsCertFile: flags.tlsCertFile,
    tlsKeyFile: flags.tlsKeyFile,
    tlsClientCaFile: flags.tlsClientCaFile,
    authTokenFile: flags.authTokenFile,
    maxConnectionAgeMs: flags.maxConnectionAge,
    maxConnectionAgeGraceMs: flags.maxConnectionAgeGrace,
    logger,
    streamError: (reason) => metrics.streamError(reason),
  });
  const ingest = createIngestServer({
    model,
    metrics,
    logger,
    heartbeatIntervalSeconds: Math.max(1, Math.round(flags.heartbeatInterval / 1000)),
    reportIntervalSeconds: Math.max(1, Math.round(flags.reportInterval / 1000)),
    peerSetDebounceMs: flags.peerSetDebounce,
    helloTimeoutMs: 10_000,
    transport,
    maxReceiveBytes: flags.grpcMaxReceiveBytes,
    maxStreams: flags.maxStreams,
    maxStreamsPerPeer: flags.maxStreamsPerPeer,
    messagesPerSecond: flags.agentMessageRate,
  });
  const app = buildServer({ model, findings, metrics, logger, isReady: () => ready, lifecycleOf: (name) => lifecycle.held.get(name) });
  const expiryTimer = setInterval(() => model.expire(), 10_000);
  expiryTimer.unref();

  return {
    listen: async (grpcAddress, httpAddress) => {
      findings.start();
      const grpcPort = await ingest.listen(grpcAddress.host, grpcAddress.port);
      await app.listen({ host: httpAddress.host, port: httpAddress.port });
      const address = app.server.address();
      ready = true;
      return { grpcPort, httpPort: typeof address === 'object' && address ? address.port : httpAddress.port };
    },
    shutdown: async (graceMs) => {
      ready = false;
      clearInterval(expiryTimer);
      await ingest.shutdown(graceMs);
      transport.close();
      findings.stop();
      await app.close();
    },
  };
}
