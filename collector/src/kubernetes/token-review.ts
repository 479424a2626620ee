// Checks an agent's projected ServiceAccount token with a TokenReview (audience "netsentry")
// and returns the node its pod runs on, from the token's node-name claim. Results are cached
// briefly by the token's hash (bounded), so reconnect waves cost one review per agent.
import { createHash } from 'node:crypto';
import { AuthenticationV1Api, type KubeConfig } from '@kubernetes/client-node';

export type ReviewResult = { node: string; username: string } | { refused: string };

export interface TokenReviewer {
  review(token: string): Promise<ReviewResult>;
}

export const nodeNameClaim = 'authentication.kubernetes.io/node-name';

export function createTokenReviewer(deps: {
  kubeConfig: KubeConfig;
  audience: string;
  now: () => number;
  cacheTtlMs?: number;
  maxEntries?: number;
}): TokenReviewer {
  const api = deps.kubeConfig.makeApiClient(AuthenticationV1Api);
  const ttlMs = deps.cacheTtlMs ?? 60_000;
  const maxEntries = deps.maxEntries ?? 20_000;
  const cache = new Map<string, { result: ReviewResult; atMs: number }>();
  return {
    async review(token) {
      const key = createHash('sha256').update(token).digest('base64');
      const cached = cache.get(key);
      if (cached && deps.now() - cached.atMs < ttlMs) return cached.result;
      let result: ReviewResult;
      try {
        const review = await api.createTokenReview({ body: { spec: { token, audiences: [deps.audience] } } });
        const status = review.status;
        const node = status?.user?.extra?.[nodeNameClaim]?.[0];
        if (!status?.authenticated)
          result = { refused: status?.error ? `token not authenticated: ${status.error.slice(0, 120)}` : 'token not authenticated' };
        else if (!status.audiences?.includes(deps.audience) && status.audiences !== undefined)
          result = { refused: `token is not for audience ${deps.audience}` };
        else if (!node) result = { refused: `token carries no ${nodeNameClaim} claim (not a projected token of a pod bound to a node)` };
        else result = { node, username: status.user?.username ?? '' };
      } catch (err) {
        // The API is unreachable: refuse now (the agent retries with backoff), do not cache.
        return { refused: `TokenReview failed: ${(err as Error).message.slice(0, 120)}` };
      }
      cache.delete(key);
      cache.set(key, { result, atMs: deps.now() });
      while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
      return result;
    },
  };
}
