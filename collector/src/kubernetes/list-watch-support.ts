// What both informers (Nodes; Services and EndpointSlices) wrap around @kubernetes/client-node's
// ListWatch: a watch that asks for bookmarks and reports that the API answers, and the retry
// with jittered exponential backoff after an error.
import { Watch, type KubeConfig } from '@kubernetes/client-node';

type WatchParams = Record<string, string | number | boolean | undefined>;

/**
 * A Watch for ListWatch that asks for bookmarks and calls onAlive on every event but ERROR
 * (bookmarks included). Once stopped it opens nothing: ListWatch starts the watch after a list
 * that was in flight when stop() came, and that watch would stay open after shutdown.
 */
export function bookmarkWatch(kubeConfig: KubeConfig, isStopped: () => boolean, onAlive: () => void): Watch {
  const realWatch = new Watch(kubeConfig);
  return {
    watch: async (path: string, params: WatchParams, callback: (phase: string, obj: unknown) => void, done: (err: unknown) => void) =>
      isStopped()
        ? new AbortController()
        : realWatch.watch(
            path,
            { ...params, allowWatchBookmarks: true },
            (phase, obj) => {
              if (phase !== 'ERROR') onAlive();
              callback(phase, obj);
            },
            done,
          ),
  } as unknown as Watch;
}

/** An API client error as a message short enough for a log line or a status field. */
export const apiErrorMessage = (err: unknown): string =>
  (err instanceof Error ? err.message : String((err as { body?: unknown })?.body ?? err)).slice(0, 200);

export interface RelistRetry {
  /** The base delay of the next retry, before jitter. */
  readonly nextDelayMs: number;
  /** Restarts the list+watch after the current backoff (±20 %), then doubles it up to the maximum. */
  schedule(): void;
  /** A list landed: the next error retries after the minimum again. */
  reset(): void;
  cancel(): void;
}

export function createRelistRetry(options: { minBackoffMs?: number; maxBackoffMs?: number; restart: () => void }): RelistRetry {
  const minMs = options.minBackoffMs ?? 1_000;
  const maxMs = options.maxBackoffMs ?? 30_000;
  let backoffMs = minMs;
  let timer: NodeJS.Timeout | undefined;
  const cancel = (): void => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  return {
    get nextDelayMs() {
      return backoffMs;
    },
    schedule() {
      cancel();
      const delay = backoffMs * (0.8 + 0.4 * Math.random());
      backoffMs = Math.min(backoffMs * 2, maxMs);
      timer = setTimeout(() => {
        timer = undefined;
        options.restart();
      }, delay);
      timer.unref();
    },
    reset() {
      backoffMs = minMs;
    },
    cancel,
  };
}
