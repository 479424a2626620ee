// The collector's HTTP API: health, readiness, metrics, findings, nodes and a page. Returns
// the app without listening; main.ts listens, tests use app.inject().
import type { Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { fastify, LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiFindingsAnswer, ApiNodesAnswer, ApiTargetsAnswer, ApiVersion } from '../../../shared/src/api-types.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { version } from '../../../shared/src/version.ts';
import type { FindingsEngine } from '../findings/findings-engine.ts';
import type { CollectorMetrics } from '../metrics/collector-metrics.ts';
import type { ClusterModel } from '../model/cluster-model.ts';
import type { LifecycleHold } from '../model/node-lifecycle.ts';
import { matrixNetworks, matrixProtocols, matrixView, matrixWorstView, nodeProbeView } from './matrix-view.ts';
import { parseWorst } from './matrix-worst.ts';
import { acceptsGzip } from './accept-encoding.ts';
import { registerHttpAuth, type HttpAuth } from './http-auth.ts';
import type { HttpTls } from './http-tls.ts';
import { departedView, lifecycleView, nodeView } from './node-view.ts';
import { findSorted, pageOf, parsePageQuery } from './page-query.ts';
import { registerPageRoutes } from './page-routes.ts';
import type { TargetView } from '../targets/target-view.ts';

export interface ServerDeps {
  model: Pick<ClusterModel, 'snapshot'>;
  findings: Pick<FindingsEngine, 'list'>;
  metrics: Pick<CollectorMetrics, 'exposition' | 'contentType'>;
  logger: Logger;
  isReady: () => boolean;
  /** Extra fields for /readyz (e.g. the Kubernetes API's state); readiness itself stays isReady's. */
  readinessDetail?: () => Record<string, unknown>;
  /** A node's life-cycle transition (joining, settling, departing), if it is in one. */
  lifecycleOf?: (node: string) => LifecycleHold | undefined;
  /** With the Kubernetes API on: what the Node records (shown as `kubernetes`), undefined when nothing to show. */
  kubernetesOf?: (node: string) => Record<string, unknown> | undefined;
  /** Where the page's files are (default ./page/ beside page-routes); read once here. */
  pageDir?: URL;
  /** A bearer token for /api/* (and /metrics if asked); absent = open. */
  auth?: HttpAuth;
  /** Serve HTTPS (the files are re-read when they change); absent = plain HTTP. */
  tls?: HttpTls;
  /** The targets and which nodes fail them (collector/src/targets/target-view.ts); absent = none configured. */
  targets?: () => TargetView[];
}

const gzipAsync = promisify(gzip);
const findingStates = ['open', 'all'] as const;
type FindingStateQuery = (typeof findingStates)[number];
const isFindingState = (value: unknown): value is FindingStateQuery => findingStates.includes(value as FindingStateQuery);

export function buildServer(deps: ServerDeps): FastifyInstance {
  const { model, findings, metrics } = deps;
  // No per-request log lines; errors still log under `err`.
  const options = {
    loggerInstance: deps.logger.child({ component: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  };
  // The routes do not care which server carries them; only the secure context changes.
  const app = (deps.tls ? fastify({ ...options, https: deps.tls.serverOptions }) : fastify(options)) as unknown as FastifyInstance;
  deps.tls?.onChange((context) => (app.server as unknown as TlsServer).setSecureContext(context));

  // Server-Timing: how long the collector itself took, apart from the network and the client.
  const startedAt = new WeakMap<object, number>();
  app.addHook('onRequest', async (request) => void startedAt.set(request, performance.now()));
  app.addHook('onSend', async (request, reply) => {
    const started = startedAt.get(request);
    if (started !== undefined) void reply.header('server-timing', `app;dur=${(performance.now() - started).toFixed(1)}`);
  });
  if (deps.auth) registerHttpAuth(app, deps.auth);

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/api/v1/version', async (): Promise<ApiVersion> => ({ version, nodeVersion: process.version }));

  app.get('/readyz', async (_request, reply) => {
    const ready = deps.isReady();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', ...(deps.readinessDetail?.() ?? {}) });
  });

  app.get('/metrics', async (request, reply) => {
    const { body, release } = await metrics.exposition();
    void reply.type(metrics.contentType).header('vary', 'accept-encoding');
    if (acceptsGzip(request.headers['accept-encoding'])) {
      // Compressed off the event loop (libuv's pool); the render buffer is free once gzip has read it.
      // Level 1: most of the gain (the text is repetitive) for a fraction of level 6's CPU.
      try {
        return reply.header('content-encoding', 'gzip').send(await gzipAsync(body, { level: 1 }));
      } finally {
        release();
      }
    }
    // The buffer goes back to the metrics for the next scrape once the response is done with it.
    reply.raw.once('close', release);
    return reply.send(body);
  });

  app.get('/api/v1/findings', async (request, reply) => {
    const state = (request.query as Record<string, unknown>).state ?? 'open';
    if (!isFindingState(state)) {
      return reply.code(400).send({
        error: 'invalid_argument',
        message: `state must be one of ${findingStates.join(', ')}, got '${String(state).slice(0, 32)}'`,
      });
    }
    const answer: ApiFindingsAnswer = { findings: findings.list({ state }) };
    return answer;
  });

  app.get('/api/v1/nodes', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const page = parsePageQuery(query);
    if ('error' in page) return reply.code(400).send({ error: 'invalid_argument', message: page.error });
    const snapshot = model.snapshot();
    // ?node=NAME: that one node (or none); nodes are sorted by name, so it is a binary search.
    const { items, nextAfter } =
      query.node !== undefined
        ? { items: findSorted(snapshot.nodes, (n) => n.name, String(query.node)), nextAfter: undefined }
        : pageOf(snapshot.nodes, (n) => n.name, page);
    const answer: ApiNodesAnswer = {
      nodes: items.map((node) => {
        const probes = nodeProbeView(snapshot, node.name);
        const hold = deps.lifecycleOf?.(node.name);
        const kubernetes = deps.kubernetesOf?.(node.name);
        return { ...nodeView(node), ...lifecycleView(hold), ...(kubernetes ? { kubernetes } : {}), ...(probes ? { probes } : {}) };
      }),
      ...(nextAfter !== undefined ? { nextAfter } : {}),
      // Nodes that left: on the first page only (a page after another never repeats them).
      ...(page.after === undefined && query.node === undefined ? { departed: (snapshot.departed ?? []).map(departedView) } : {}),
    };
    return answer;
  });

  app.get('/api/v1/targets', async (): Promise<ApiTargetsAnswer> => ({ targets: deps.targets?.() ?? [] }));

  app.get('/api/v1/matrix', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const network = matrixNetworks.find((n) => n === query.network);
    const protocol = matrixProtocols.find((p) => p === query.protocol);
    if (query.network !== undefined && !network)
      return reply.code(400).send({
        error: 'invalid_argument',
        message: `network must be one of ${matrixNetworks.join(', ')}, got '${String(query.network).slice(0, 32)}'`,
      });
    if (query.protocol !== undefined && !protocol)
      return reply.code(400).send({
        error: 'invalid_argument',
        message: `protocol must be one of ${matrixProtocols.join(', ')}, got '${String(query.protocol).slice(0, 32)}'`,
      });
    const page = parsePageQuery(query);
    if ('error' in page) return reply.code(400).send({ error: 'invalid_argument', message: page.error });
    // ?worst=N: the N worst source rows, not the cells (what the page and CLI show above ~100 nodes).
    const worst = parseWorst(query);
    if ('error' in worst) return reply.code(400).send({ error: 'invalid_argument', message: worst.error });
    const filter = { ...(network ? { network } : {}), ...(protocol ? { protocol } : {}) };
    // Open findings mark the nodes they name (node-marks.ts), beside the nodes broken on the matrix.
    const open = findings.list({ state: 'open' });
    if (worst.worst !== undefined) return matrixWorstView(model.snapshot(), { ...filter, worst: worst.worst }, open);
    return matrixView(model.snapshot(), { ...filter, page }, open);
  });

  registerPageRoutes(app, { dir: deps.pageDir, logger: deps.logger });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` }),
  );

  app.setErrorHandler((err: Error & { statusCode?: number }, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err, url: request.url }, 'request failed');
    return reply
      .code(status)
      .send({ error: status === 500 ? 'internal' : 'bad_request', message: status === 500 ? 'internal error' : err.message });
  });

  return app;
}
