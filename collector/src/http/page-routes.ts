// The page at `/`: a static HTML shell, one ES module and a stylesheet from ./page/, read once
// at start-up and served from memory. The page itself polls the JSON API.
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from '../../../shared/src/logger.ts';
import { NetsentryError } from '../../../shared/src/errors.ts';

export interface PageAssets {
  readonly html: string;
  readonly js: string;
  readonly css: string;
}

/** Nothing but same-origin script, style and fetch; no inline code, no framing. */
export const pageCsp =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const pageDir = new URL('./page/', import.meta.url);

/** Reads the page files. `npm run build` copies ./page/ next to the compiled module. */
export function loadPageAssets(dir: URL = pageDir): PageAssets {
  const read = (name: string): string => {
    try {
      return readFileSync(new URL(name, dir), 'utf8');
    } catch (err) {
      throw new NetsentryError(
        'NOT_FOUND',
        `page asset ${new URL(name, dir).pathname} cannot be read (${(err as Error).message}); the build must copy collector/src/http/page/`,
        { cause: err },
      );
    }
  };
  return Object.freeze({ html: read('index.html'), js: read('app.js'), css: read('style.css') });
}

/** Registers GET /, /page/app.js, /page/style.css. Missing assets are logged once; the API keeps serving and `/` says why. */
export function registerPageRoutes(app: FastifyInstance, deps: { dir?: URL | undefined; logger: Logger }): void {
  let assets: PageAssets | NetsentryError;
  try {
    assets = loadPageAssets(deps.dir);
  } catch (err) {
    assets = err instanceof NetsentryError ? err : new NetsentryError('INTERNAL', String(err), { cause: err });
    deps.logger.child({ component: 'http' }).error({ err }, 'page assets missing; serving the API without the page');
  }
  const send = (type: string, body: (a: PageAssets) => string) => async (_request: unknown, reply: FastifyReply) => {
    if (assets instanceof NetsentryError) return reply.code(503).send({ error: 'unavailable', message: assets.message });
    return reply
      .type(type)
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', pageCsp)
      .send(body(assets));
  };
  app.get(
    '/',
    send('text/html; charset=utf-8', (a) => a.html),
  );
  app.get(
    '/page/app.js',
    send('text/javascript; charset=utf-8', (a) => a.js),
  );
  app.get(
    '/page/style.css',
    send('text/css; charset=utf-8', (a) => a.css),
  );
}
