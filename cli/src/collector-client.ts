// Reads the collector's JSON API with a deadline per request. Failures are NetsentryErrors
// with a message that says what to check (collector-error.ts).
import { badAnswerError, unreachableError } from './collector-error.ts';
import type { ApiFinding, ApiMatrixAnswer, ApiNode, ApiTarget, ApiVersion } from './api-types.ts';

export interface CollectorClient {
  findings(state: 'open' | 'all'): Promise<ApiFinding[]>;
  nodes(): Promise<ApiNode[]>;
  /** `worst`: the N worst rows per network and protocol instead of every cell; `network`: one network. */
  matrix(options?: { worst?: number; network?: string }): Promise<ApiMatrixAnswer>;
  targets(): Promise<ApiTarget[]>;
  version(): Promise<ApiVersion>;
  /** The raw JSON answer of a path, for --json. */
  getJson(path: string): Promise<unknown>;
}

export function createCollectorClient(deps: {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  /** Bearer token for a collector run with --http-auth-token-file. */ token?: string;
}): CollectorClient {
  const doFetch = deps.fetch ?? fetch;
  const getJson = async (path: string): Promise<unknown> => {
    const url = `${deps.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        headers: { accept: 'application/json', ...(deps.token ? { authorization: `Bearer ${deps.token}` } : {}) },
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw unreachableError(err, url, deps.timeoutMs);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw badAnswerError(
        url,
        `HTTP ${response.status}, not JSON (${JSON.stringify(text.slice(0, 80))}); is --collector the collector's HTTP address?`,
      );
    }
    if (!response.ok) {
      const message = (body as { message?: unknown })?.message;
      throw badAnswerError(url, `HTTP ${response.status}${typeof message === 'string' ? `: ${message}` : ''}`);
    }
    return body;
  };
  const listOf = async <T>(path: string, key: string): Promise<T[]> => {
    const body = (await getJson(path)) as Record<string, unknown> | null;
    const list = body?.[key];
    if (!Array.isArray(list) || !list.every((item) => item && typeof item === 'object'))
      throw badAnswerError(`${deps.baseUrl}${path}`, `no "${key}" list; is --collector a netsentry collector?`);
    return list as T[];
  };
  return {
    findings: (state) => listOf<ApiFinding>(`/api/v1/findings?state=${state}`, 'findings'),
    nodes: () => listOf<ApiNode>('/api/v1/nodes', 'nodes'),
    targets: () => listOf<ApiTarget>('/api/v1/targets', 'targets'),
    matrix: async (options = {}) => {
      const query = new URLSearchParams();
      if (options.network !== undefined) query.set('network', options.network);
      if (options.worst !== undefined) query.set('worst', String(options.worst));
      const matrices = await listOf<ApiMatrixAnswer['matrices'][number]>(`/api/v1/matrix${query.size ? `?${query}` : ''}`, 'matrices');
      return { matrices };
    },
    version: async () => {
      const body = (await getJson('/api/v1/version')) as ApiVersion | null;
      if (!body || typeof body !== 'object' || typeof body.version !== 'string')
        throw badAnswerError(`${deps.baseUrl}/api/v1/version`, 'no "version"; is --collector a netsentry collector (0.2 or later)?');
      return { version: body.version, ...(typeof body.nodeVersion === 'string' ? { nodeVersion: body.nodeVersion } : {}) };
    },
    getJson,
  };
}
