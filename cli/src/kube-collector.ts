// Finds the collector through the kubeconfig, as `kubectl netsentry` users expect: the
// collector's Service (labels set by the chart) is found in the namespace given or in all,
// and every request goes through the API server's service proxy with the kubeconfig's
// credentials (client certificate, token, exec plugin — whatever @kubernetes/client-node
// supports). No port-forward process, no port to pick.
import { existsSync } from 'node:fs';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { NetsentryError } from '../../shared/src/errors.ts';
import type { KubeTarget } from './cli-args.ts';
import { unreachableError } from './collector-error.ts';

/** The chart labels the collector's Service with these (charts/netsentry/templates/_helpers.tpl). */
export const collectorServiceSelector = 'app.kubernetes.io/part-of=netsentry,app.kubernetes.io/component=collector';
const httpPortName = 'http';

export interface KubeCollector {
  /** The service proxy URL of the collector's HTTP port; the CLI appends /api/v1/…. */
  baseUrl: string;
  /** fetch() that authenticates to the API server as the kubeconfig says. */
  fetch: typeof fetch;
  /** "namespace/name via context" for messages. */
  description: string;
}

/** Kubeconfig files in force: --kubeconfig, else $KUBECONFIG (a path list), else ~/.kube/config; [] when none exists. */
export function kubeconfigFiles(target: KubeTarget, env: NodeJS.ProcessEnv, home: string = homedir()): string[] {
  if (target.kubeconfig !== undefined) {
    if (!existsSync(target.kubeconfig)) throw new NetsentryError('INVALID_CONFIG', `--kubeconfig ${target.kubeconfig}: no such file`);
    return [target.kubeconfig];
  }
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter((p) => p !== '' && existsSync(p));
  const fallback = join(home, '.kube', 'config');
  return existsSync(fallback) ? [fallback] : [];
}

function loadKubeConfig(files: readonly string[], context: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  files.forEach((file, i) => {
    try {
      if (i === 0) kc.loadFromFile(file);
      else {
        // Like kubectl: the first file that sets current-context wins; later files add entries.
        const more = new KubeConfig();
        more.loadFromFile(file);
        kc.mergeConfig(more, true);
      }
    } catch (err) {
      throw new NetsentryError('INVALID_CONFIG', `kubeconfig ${file}: ${(err as Error).message}`, { cause: err });
    }
  });
  if (context !== undefined) {
    if (!kc.getContextObject(context)) {
      throw new NetsentryError(
        'INVALID_CONFIG',
        `--context ${context}: not in the kubeconfig (contexts: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster())
    throw new NetsentryError('INVALID_CONFIG', `kubeconfig ${files.join(delimiter)}: no current context or cluster; give --context`);
  return kc;
}

/** fetch() over node:http(s) with the kubeconfig's TLS and credentials applied to every request. */
function kubeFetch(kc: KubeConfig): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const options: RequestOptions & { headers: Record<string, string> } = { method: init?.method ?? 'GET', headers: {} };
    await kc.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    for (const [k, v] of new Headers(init?.headers).entries()) options.headers[k] = v;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return await new Promise<Response>((resolve, reject) => {
      const req = send(url, { ...options, signal: init?.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () =>
          resolve(
            new Response(Buffer.concat(chunks), {
              status: res.statusCode ?? 502,
              headers: { 'content-type': String(res.headers['content-type'] ?? '') },
            }),
          ),
        );
      });
      req.on('error', reject);
      req.end();
    });
  }) as typeof fetch;
}

interface ServiceItem {
  metadata?: { name?: string; namespace?: string };
  spec?: { ports?: { name?: string }[] };
}

async function apiGet(doFetch: typeof fetch, url: string, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await doFetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw apiUnreachable(err, url, timeoutMs);
  }
  const text = await response.text();
  if (!response.ok) {
    let reason = text.slice(0, 200);
    try {
      reason = (JSON.parse(text) as { message?: string }).message ?? reason;
    } catch {
      // not a Status object; keep the text
    }
    const hint =
      response.status === 401
        ? ' (the kubeconfig credentials were refused)'
        : response.status === 403
          ? ' (RBAC: listing Services is needed)'
          : '';
    throw new NetsentryError(
      'UNAVAILABLE',
      `the Kubernetes API at ${new URL(url).origin} answered HTTP ${response.status}${hint}: ${reason}`,
    );
  }
  return JSON.parse(text);
}

function apiUnreachable(err: unknown, url: string, timeoutMs: number): NetsentryError {
  const base = unreachableError(err, url, timeoutMs);
  return new NetsentryError(
    base.code,
    base.message
      .replace('the collector at', 'the Kubernetes API at')
      .replace(/; check the URL.*$/, '; check the kubeconfig (--kubeconfig, --context)'),
    { cause: err },
  );
}

/** Finds the collector's Service through the API and returns how to reach it. */
export async function locateCollector(target: KubeTarget, files: readonly string[], timeoutMs: number): Promise<KubeCollector> {
  const kc = loadKubeConfig(files, target.context);
  const server = kc.getCurrentCluster()!.server.replace(/\/+$/, '');
  const namespace = target.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace;
  const doFetch = kubeFetch(kc);
  const selector = encodeURIComponent(collectorServiceSelector);
  const listUrl = namespace
    ? `${server}/api/v1/namespaces/${encodeURIComponent(namespace)}/services?labelSelector=${selector}`
    : `${server}/api/v1/services?labelSelector=${selector}`;
  const list = (await apiGet(doFetch, listUrl, timeoutMs)) as { items?: ServiceItem[] };
  const found = (list.items ?? []).filter(
    (s) => s.metadata?.name && s.metadata.namespace && (s.spec?.ports ?? []).some((p) => p.name === httpPortName),
  );
  const where = namespace ? `namespace ${namespace}` : 'any namespace';
  if (found.length === 0) {
    throw new NetsentryError(
      'UNAVAILABLE',
      `no netsentry collector Service in ${where} of context ${kc.getCurrentContext()} (looked for label ${collectorServiceSelector}); is the chart installed? Give -n NAMESPACE, or --collector URL`,
    );
  }
  if (found.length > 1) {
    const names = found.map((s) => `${s.metadata!.namespace}/${s.metadata!.name}`).join(', ');
    throw new NetsentryError('INVALID_CONFIG', `${found.length} netsentry collectors in ${where}: ${names}; choose one with -n NAMESPACE`);
  }
  const { name, namespace: ns } = found[0]!.metadata as { name: string; namespace: string };
  return {
    baseUrl: `${server}/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(name)}:${httpPortName}/proxy`,
    fetch: doFetch,
    description: `${ns}/${name} via context ${kc.getCurrentContext()}`,
  };
}
