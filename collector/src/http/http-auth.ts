// Optional bearer token for the HTTP API (--http-auth-token-file): /api/* needs
// `Authorization: Bearer <token>`; /healthz and /readyz stay open for probes, /metrics stays
// open unless --http-auth-metrics, and the page's static files (which hold no data) stay
// open — the page sends the token it was given in its URL fragment (#token=…).
import type { FastifyInstance } from 'fastify';
import { parseBearer, type TokenVerifier } from '../../../shared/src/auth-token.ts';

export interface HttpAuth {
  /** The accepted tokens now (the file is re-read when it changes). */
  verifier: () => TokenVerifier;
  /** Also require the token for /metrics (a Prometheus scrape config then sends it). */
  metrics: boolean;
}

const needsToken = (path: string, metrics: boolean): boolean => path.startsWith('/api/') || (metrics && path === '/metrics');

export function registerHttpAuth(app: FastifyInstance, auth: HttpAuth): void {
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0]!;
    if (!needsToken(path, auth.metrics)) return;
    if (auth.verifier().verify(parseBearer(request.headers.authorization))) return;
    return reply.code(401).header('www-authenticate', 'Bearer realm="netsentry"').send({
      error: 'unauthenticated',
      message: 'this endpoint needs Authorization: Bearer <token> (the collector runs with --http-auth-token-file)',
    });
  });
}
