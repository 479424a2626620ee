// A Kubernetes API server double for the CLI: the two things `kubectl netsentry` asks of the
// API, spoken as the real API speaks them — listing Services by label selector (one
// namespace or all, a v1 ServiceList) and the service proxy
// (/api/v1/namespaces/NS/services/NAME:PORT/proxy/…), over HTTPS with bearer-token
// authentication and Status objects for errors. The proxy forwards to an upstream HTTP server.
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface DoubleService {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Port names; the CLI proxies through the one named http. */
  ports: string[];
  /** Where the proxy sends this Service's traffic (http://127.0.0.1:PORT). */
  upstream: string;
}

export interface KubeServiceProxyDouble {
  url: string;
  /** Every request: method, path with query, and its Authorization header. */
  requests: { path: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

function matches(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=');
      return labels[key!] === value;
    });
}

export async function startKubeServiceProxyDouble(options: {
  certFile: string;
  keyFile: string;
  token: string;
  services: DoubleService[];
}): Promise<KubeServiceProxyDouble> {
  const requests: KubeServiceProxyDouble['requests'] = [];
  const server: Server = createServer({ cert: await readFile(options.certFile), key: await readFile(options.keyFile) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://double');
    requests.push({ path: `${url.pathname}${url.search}`, authorization: req.headers.authorization });
    const json = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${options.token}`) return json(401, status(401, 'Unauthorized', 'Unauthorized'));
    const list = /^\/api\/v1\/(?:namespaces\/([^/]+)\/)?services$/.exec(url.pathname);
    if (list && req.method === 'GET') {
      const namespace = list[1] ? decodeURIComponent(list[1]) : undefined;
      const selector = url.searchParams.get('labelSelector') ?? '';
      const items = options.services
        .filter((s) => (namespace === undefined || s.namespace === namespace) && matches(s.labels, selector))
        .map((s) => ({
          metadata: { name: s.name, namespace: s.namespace, labels: s.labels },
          spec: { ports: s.ports.map((name, i) => ({ name, port: 8080 + i })) },
        }));
      return json(200, { kind: 'ServiceList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items });
    }
    const proxy = /^\/api\/v1\/namespaces\/([^/]+)\/services\/([^/:]+):([^/]+)\/proxy(\/.*)?$/.exec(url.pathname);
    if (proxy) {
      const [, ns, name, port, rest] = proxy.map((p) => (p === undefined ? p : decodeURIComponent(p)));
      const target = options.services.find((s) => s.namespace === ns && s.name === name);
      if (!target) return json(404, status(404, 'NotFound', `services "${name}" not found`));
      if (!target.ports.includes(port!))
        return json(503, status(503, 'ServiceUnavailable', `no endpoints available for service "${name}:${port}"`));
      const upstream = httpRequest(new URL(`${rest ?? '/'}${url.search}`, target.upstream), { method: req.method }, (up) => {
        res.writeHead(up.statusCode ?? 502, { 'content-type': up.headers['content-type'] ?? 'application/octet-stream' });
        up.pipe(res);
      });
      upstream.on('error', (err) => json(503, status(503, 'ServiceUnavailable', `error trying to reach service: ${err.message}`)));
      return void upstream.end();
    }
    return json(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
