// A list+watch of one cluster-wide collection (Services, EndpointSlices) through
// @kubernetes/client-node's ListWatch, which re-lists on 410 Gone and follows bookmarks. Like
// the Node informer it asks for bookmarks, retries after an error with jittered exponential
// backoff and keeps its last view while the API is unreachable.
import { ListWatch, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../../../shared/src/logger.ts';
import { apiErrorMessage, bookmarkWatch, createRelistRetry } from './list-watch-support.ts';

export interface ResourceInformer<T extends KubernetesObject> {
  start(): void;
  stop(): Promise<void>;
  /** Every object in the last view. */
  list(): readonly T[];
  /** A full list has been applied at least once. */
  readonly synced: boolean;
  readonly reachable: boolean;
  onChange(listener: () => void): void;
}

export function createResourceInformer<T extends KubernetesObject>(deps: {
  kubeConfig: KubeConfig;
  /** The collection path, e.g. /api/v1/services. */
  path: string;
  listFn: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;
  what: string;
  logger: Logger;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}): ResourceInformer<T> {
  const log = deps.logger.child({ component: `kubernetes-${deps.what}` });
  const listeners = new Set<() => void>();
  let synced = false;
  let reachable = false;
  let stopped = false;
  let loggedDown = false;
  const retry = createRelistRetry({
    minBackoffMs: deps.minBackoffMs,
    maxBackoffMs: deps.maxBackoffMs,
    restart: () => {
      if (!stopped) void informer.start();
    },
  });
  const changed = (): void => {
    for (const listener of [...listeners]) listener();
  };
  const up = (): void => {
    if (reachable && synced) return;
    if (loggedDown) log.info(`Kubernetes API reachable again (${deps.what})`);
    loggedDown = false;
    retry.reset();
    reachable = true;
    synced = true;
    changed();
  };
  const watch = bookmarkWatch(deps.kubeConfig, () => stopped, up);
  const list = async () => {
    const result = await deps.listFn();
    // ListWatch applies the list right after this resolves.
    setImmediate(up);
    return result;
  };
  const informer = new ListWatch<T>(deps.path, watch, list as never, false);
  for (const event of ['add', 'update', 'delete'] as const) informer.on(event, changed);
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    const message = apiErrorMessage(err);
    if (reachable || !loggedDown) {
      log.warn(
        { err: message, retryInSeconds: retry.nextDelayMs / 1000 },
        `Kubernetes API unreachable; keeping the last view of ${deps.what}`,
      );
      loggedDown = true;
    }
    reachable = false;
    retry.schedule();
  });
  return {
    start: () => {
      stopped = false;
      void informer.start();
    },
    stop: async () => {
      stopped = true;
      retry.cancel();
      await informer.stop();
    },
    list: () => informer.list(),
    get synced() {
      return synced;
    },
    get reachable() {
      return reachable;
    },
    onChange: (listener) => {
      listeners.add(listener);
    },
  };
}
