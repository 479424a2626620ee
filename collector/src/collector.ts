// Wires the collector together: model ← ingest; model → findings engine → metrics and HTTP.
import type { FastifyInstance } from 'fastify';
import { systemClock, type Clock } from '../../shared/src/clock.ts';
import type { Logger } from '../../shared/src/logger.ts';
import type { TargetBatch } from '../../shared/src/gen/netsentry/v1/target_pb.js';
import type { ParsedFlags } from '../../shared/src/flags.ts';
import type { collectorFlags } from './collector-flags.ts';
import { createClusterModel, type ClusterModel } from './model/cluster-model.ts';
import { createFindingsEngine, type FindingsEngine } from './findings/findings-engine.ts';
import { defaultDetectors } from './detectors/index.ts';
import { createCollectorMetrics } from './metrics/collector-metrics.ts';
import { buildServer } from './http/build-server.ts';
import { createHttpTls } from './http/http-tls.ts';
import { createIngestServer } from './ingest/ingest-server.ts';
import { createIngestLag } from './ingest/ingest-lag.ts';
import { createIngestTransport } from './ingest/ingest-transport.ts';
import { createTokenVerifier, parseTokenFile } from '../../shared/src/auth-token.ts';
import { createFileReloader } from '../../shared/src/file-reloader.ts';
import { credentialReloadIntervalMs } from '../../shared/src/grpc-credentials.ts';
import { createLogOncePerKey, peerHost } from './ingest/log-once-per-key.ts';
import { createLifecycleHold } from './model/lifecycle-hold.ts';
import { createNodeLifecycle } from './model/node-lifecycle.ts';
import { createNeverConnectedDetector, linkAgentMissingToNodeState } from './kubernetes/api-agent-state.ts';
import { registerKubernetesMetrics } from './kubernetes/kubernetes-metrics.ts';
import { resolveKubernetes, type KubernetesMode } from './kubernetes/kubernetes-mode.ts';
import { createApiTargetSource } from './kubernetes/api-target-source.ts';
import { createNodeInformer } from './kubernetes/node-informer.ts';
import { createRecordMismatchDetector } from './kubernetes/record-mismatch.ts';
import { createHelloAuthorizer } from './kubernetes/hello-authorizer.ts';
import { createNodeIdentityInterceptor } from './kubernetes/node-identity-interceptor.ts';
import { createTokenReviewer } from './kubernetes/token-review.ts';
import { createNodeWriteBack } from './kubernetes/node-write-back.ts';
import { createApiPeerMembership, followApiMembership } from './kubernetes/peer-membership.ts';
import { nodeRecordView } from './kubernetes/node-record.ts';
import { createMergedTargetSetSource } from './targets/merged-target-source.ts';
import { createTargetsFileSource } from './targets/target-set-source.ts';
import { createTargetStore } from './targets/target-store.ts';
import { registerTargetMetrics } from './targets/target-metrics.ts';
import { buildTargetViews } from './targets/target-view.ts';

export interface Collector {
  /** The parts a test drives or reads without a network: the model it feeds, the findings it reads, the HTTP app it inject()s into. */
  readonly model: ClusterModel;
  readonly findings: FindingsEngine;
  readonly http: FastifyInstance;
  /** Starts the findings passes and the API watches without opening a port (listen() starts them too). */
  start(): void;
  listen(grpc: { host: string; port: number }, http: { host: string; port: number }): Promise<{ grpcPort: number; httpPort: number }>;
  shutdown(graceMs: number): Promise<void>;
}

export interface CollectorDeps {
  flags: ParsedFlags<typeof collectorFlags>;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Wall clock and the collector's own timers (expiry, write-back, findings passes); systemClock unless a test moves time. */
  clock?: Clock;
}

export function createCollector(deps: CollectorDeps): Collector {
  const { flags, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const now = clock.now;
  const kubernetes = resolveKubernetes({
    mode: flags.kubernetes as KubernetesMode,
    ...(flags.kubeconfig ? { kubeconfigPath: flags.kubeconfig } : {}),
    env: deps.env ?? process.env,
    logger,
  });
  const informer = kubernetes ? createNodeInformer({ kubeConfig: kubernetes.kubeConfig, logger, now }) : undefined;
  const model = createClusterModel({
    now,
    nodeExpiryMs: flags.nodeExpiry,
    ...(informer ? { membership: createApiPeerMembership(informer) } : {}),
  });
  if (informer) followApiMembership(informer, model);
  const lifecycle = createNodeLifecycle({
    model,
    logger,
    startedMs: now(),
    startupWindowMs: flags.convergeGrace,
    convergeGraceMs: flags.convergeGrace,
    departingWindowMs: flags.agentMissingAfter,
    ...(informer
      ? {
          api: {
            deleted: informer.deleted,
            isDeleting: (name: string) => informer.records.get(name)?.deleting ?? false,
            expectedOverlay: (name: string) => {
              const backend = informer.records.get(name)?.flannelBackend;
              return backend ? `flannel ${backend} (flannel.alpha.coreos.com/backend-type)` : undefined;
            },
          },
        }
      : {}),
  });
  const hold = createLifecycleHold({ model, lifecycle });
  const findingsBudgetLog = createLogOncePerKey({ windowMs: 60_000, maxKeys: 4096 });
  const fileTargets = flags.targetsFile ? createTargetsFileSource({ path: flags.targetsFile, intervalMs: 2_000, logger }) : undefined;
  // With the API on (and --kubernetes-targets true): kube-dns, kubernetes and labelled Services join the file's targets.
  const apiTargets =
    kubernetes && flags.kubernetesTargets === 'true' ? createApiTargetSource({ kubeConfig: kubernetes.kubeConfig, logger }) : undefined;
  const targetSource = apiTargets
    ? createMergedTargetSetSource({ ...(fileTargets ? { file: fileTargets } : {}), api: apiTargets, logger })
    : fileTargets;
  const targetStore = createTargetStore(targetSource?.specs() ?? []);
  targetSource?.onChange(() => targetStore.setSpecs(targetSource.specs()));
  const ingestLag = createIngestLag({ now });
  const detectors = defaultDetectors(
    { agentMissingAfterMs: flags.agentMissingAfter, heartbeatIntervalMs: flags.heartbeatInterval, ingestLagMs: ingestLag.currentMs },
    // Stale after 60 s: agents probe every interval (at most 60 s), rotating above 256 addresses.
    { store: targetStore, specs: () => targetSource?.specs() ?? [], graceMs: flags.targetStartupGrace, staleMs: 60_000 },
  );
  const findings = createFindingsEngine({
    model: hold.model,
    detectors: hold.detectors(
      informer
        ? [
            ...detectors.map((detector) => linkAgentMissingToNodeState(detector, informer.records)),
            createRecordMismatchDetector({ records: informer.records }),
            createNeverConnectedDetector({
              records: informer.records,
              status: () => informer.status,
              graceMs: Math.max(flags.convergeGrace, flags.agentMissingAfter),
            }),
          ]
        : detectors,
    ),
    now,
    timers: clock,
    logger,
    resolvedRetentionMs: flags.resolvedRetention,
    maxFindingsPerNode: flags.maxFindingsPerNode,
    findingsDropped: (node, dropped, newlyDropped) => {
      if (newlyDropped > 0) metrics.budgetExceeded('findings_per_node', newlyDropped);
      const logged = findingsBudgetLog.shouldLog(node);
      if (logged)
        logger.warn(
          {
            component: 'findings',
            node: node.slice(0, 253),
            budget: 'findings_per_node',
            dropped,
            max: flags.maxFindingsPerNode,
            suppressedSinceLast: logged.suppressed,
          },
          `findings naming one node over --max-findings-per-node: ${dropped} left out`,
        );
    },
  });
  const writeBack =
    kubernetes && informer && flags.writeBack === 'on'
      ? createNodeWriteBack({
          kubeConfig: kubernetes.kubeConfig,
          logger,
          now,
          nodeExists: (name) => informer.records.has(name),
          hysteresisMs: flags.writeBackHysteresis,
          eventsPerMinutePerNode: flags.writeBackEventsPerMinute,
        })
      : undefined;
  if (flags.writeBack === 'on' && !writeBack)
    logger.warn({ component: 'write-back' }, '--write-back on needs the Kubernetes API (--kubernetes): nothing is written');
  const writeBackNow = (): void => writeBack?.update(findings.list({ state: 'open' }));
  if (writeBack) findings.onChange(writeBackNow);
  const writeBackTimer = writeBack ? clock.setInterval(writeBackNow, 5_000) : undefined;
  writeBackTimer?.unref();
  const metrics = createCollectorMetrics({ model, findings, ingestLagMs: ingestLag.currentMs });
  if (informer) registerKubernetesMetrics(metrics.registry, informer);
  if (targetSource) registerTargetMetrics(metrics.registry, { store: targetStore, specs: targetSource.specs, now, staleMs: 60_000 });
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
  // With the API on and no shared token file: agents' projected ServiceAccount tokens, checked
  // by TokenReview, bind each stream to its node. The shared token stays for standalone use.
  const nodeIdentity = kubernetes && informer && !flags.authTokenFile;
  if (nodeIdentity) {
    const reviewer = createTokenReviewer({ kubeConfig: kubernetes.kubeConfig, audience: flags.tokenAudience, now });
    const refusals = createLogOncePerKey({ windowMs: 10 * 60_000, maxKeys: 4096 });
    transport.interceptors.push(
      createNodeIdentityInterceptor({
        reviewer,
        onRefused: (peer, why) => {
          metrics.streamError('unauthenticated');
          const logged = refusals.shouldLog(peerHost(peer));
          if (logged)
            logger.warn(
              { component: 'node-identity', peer, why, code: 'UNAUTHENTICATED', refusedSinceLastLine: logged.suppressed },
              'refused agent stream: token review failed',
            );
        },
      }),
    );
    logger.info(
      { component: 'node-identity', audience: flags.tokenAudience },
      'agents authenticate with projected ServiceAccount tokens (TokenReview); each stream is bound to its node',
    );
  }
  const ingest = createIngestServer({
    // With the API on, a hello for a node the API does not list is refused, whatever the
    // credentials; with node identity the token must be bound to that node as well.
    ...(informer
      ? {
          authorizeHello: createHelloAuthorizer({
            logger,
            requireBinding: nodeIdentity === true,
            nodeRecord: (name) => informer.records.get(name),
            apiSynced: () => informer.status.synced,
          }),
        }
      : {}),
    model,
    metrics,
    logger,
    ingestLag,
    heartbeatIntervalSeconds: Math.max(1, Math.round(flags.heartbeatInterval / 1000)),
    reportIntervalSeconds: Math.max(1, Math.round(flags.reportInterval / 1000)),
    peerSetDebounceMs: flags.peerSetDebounce,
    ingestTurnBudgetMs: flags.ingestTurnBudget,
    helloTimeoutMs: 10_000,
    transport,
    maxReceiveBytes: flags.grpcMaxReceiveBytes,
    maxStreams: flags.maxStreams,
    maxStreamsPerPeer: flags.maxStreamsPerPeer,
    messagesPerSecond: flags.agentMessageRate,
    ...(targetSource
      ? {
          targets: {
            current: targetSource.current,
            onChange: targetSource.onChange,
            ingest: (node: string, instanceId: string, batch: TargetBatch) => targetStore.ingest(node, instanceId, batch, now()),
          },
        }
      : {}),
    budgets: { maxNodes: flags.maxNodes, hellosPerSecond: flags.hellosPerSecond, maxReportBytes: flags.maxReportBytes },
  });
  const httpTokens = flags.httpAuthTokenFile
    ? createFileReloader({
        what: 'HTTP auth token file',
        paths: [flags.httpAuthTokenFile],
        intervalMs: credentialReloadIntervalMs,
        logger,
        parse: ([text]) => createTokenVerifier(parseTokenFile(text!.toString('utf8'))),
      })
    : undefined;
  if (!httpTokens)
    logger
      .child({ component: 'http' })
      .warn('no --http-auth-token-file: anyone who reaches the HTTP port can read /api/v1 (findings, nodes, matrix)');
  const httpTls = createHttpTls(
    { certFile: flags.httpTlsCertFile, keyFile: flags.httpTlsKeyFile, clientCaFile: flags.httpTlsClientCaFile },
    logger,
    credentialReloadIntervalMs,
  );
  if (httpTls)
    logger.info(
      {
        component: 'http-tls',
        certificate: httpTls.summary.certificate,
        clientCertificates: httpTls.summary.clientCa ? 'required' : 'not requested',
      },
      'HTTP port serves HTTPS',
    );
  const app = buildServer({
    model,
    findings,
    metrics,
    logger,
    isReady: () => ready,
    ...(httpTls ? { tls: httpTls } : {}),
    ...(httpTokens ? { auth: { verifier: httpTokens.current, metrics: flags.httpAuthMetrics === 'true' } } : {}),
    readinessDetail: () => ({
      kubernetes: informer
        ? {
            source: kubernetes?.source,
            reachable: informer.status.reachable,
            synced: informer.status.synced,
            nodes: informer.records.size,
            ...(informer.status.reachable
              ? {}
              : {
                  note: 'API unreachable: working from the last view of Nodes',
                  ...(informer.status.unreachableSinceMs
                    ? { unreachableSince: new Date(informer.status.unreachableSinceMs).toISOString() }
                    : {}),
                  ...(informer.status.lastErrorMessage ? { lastError: informer.status.lastErrorMessage } : {}),
                }),
          }
        : { source: 'off' },
    }),
    lifecycleOf: (name) => lifecycle.held.get(name),
    ...(informer ? { kubernetesOf: (name: string) => nodeRecordView(informer.records.get(name), informer.status.synced) } : {}),
    ...(targetSource ? { targets: () => buildTargetViews(targetSource.specs(), targetStore, now(), 60_000) } : {}),
  });
  const expiryTimer = clock.setInterval(() => model.expire(), 10_000);
  expiryTimer.unref();

  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    findings.start();
    informer?.start();
    apiTargets?.start();
  };

  return {
    model,
    findings,
    http: app,
    start,
    listen: async (grpcAddress, httpAddress) => {
      start();
      const grpcPort = await ingest.listen(grpcAddress.host, grpcAddress.port);
      await app.listen({ host: httpAddress.host, port: httpAddress.port });
      const address = app.server.address();
      ready = true;
      return { grpcPort, httpPort: typeof address === 'object' && address ? address.port : httpAddress.port };
    },
    shutdown: async (graceMs) => {
      ready = false;
      clock.clearTimer(expiryTimer);
      clock.clearTimer(writeBackTimer);
      await writeBack?.idle();
      await informer?.stop();
      await apiTargets?.stop();
      await ingest.shutdown(graceMs);
      transport.close();
      httpTokens?.close();
      httpTls?.close();
      targetSource?.close();
      findings.stop();
      await app.close();
    },
  };
}
