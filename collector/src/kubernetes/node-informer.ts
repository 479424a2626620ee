// List+watch of Nodes through @kubernetes/client-node's ListWatch: it re-lists on 410 Gone
// (an ERROR event or status) and follows BOOKMARK events; here it also asks for bookmarks,
// restarts after an error with jittered exponential backoff, and keeps the last view while
// the API is unreachable — a node is never dropped because the API went away.
import { CoreV1Api, ListWatch, type KubeConfig, type V1Node } from '@kubernetes/client-node';
import type { Logger } from '../../../shared/src/logger.ts';
import { apiErrorMessage, bookmarkWatch, createRelistRetry } from './list-watch-support.ts';
import { nodeRecordOf, type NodeRecord } from './node-record.ts';

export interface ApiStatus {
  /** The last list or watch succeeded and no error came since. */
  readonly reachable: boolean;
  /** A full list has been received at least once. */
  readonly synced: boolean;
  readonly lastErrorMessage?: string;
  /** When it last went unreachable, ms since the epoch. */
  readonly unreachableSinceMs?: number;
  readonly relists: number;
}

export interface NodeInformer {
  start(): void;
  stop(): Promise<void>;
  /** Every Node in the last view, by name. */
  readonly records: ReadonlyMap<string, NodeRecord>;
  /** Nodes the API deleted since the collector started (name → ms), bounded; a Node added again leaves this map. */
  readonly deleted: ReadonlyMap<string, number>;
  readonly status: ApiStatus;
  /** The resourceVersion the watch would resume from ('' before the first list or after a 410). */
  readonly resourceVersion: string;
  /** `node`: the one Node that changed; undefined when the status changed (any node may be affected). */
  onChange(listener: (node?: string) => void): void;
}

const maxDeleted = 10_000;

export function createNodeInformer(deps: {
  kubeConfig: KubeConfig;
  logger: Logger;
  now: () => number;
  maxBackoffMs?: number;
  minBackoffMs?: number;
}): NodeInformer {
  const log = deps.logger.child({ component: 'kubernetes-nodes' });
  const api = deps.kubeConfig.makeApiClient(CoreV1Api);
  let relists = 0;
  // ListWatch passes only resourceVersion (and selectors); the API sends bookmarks when asked.
  // Any event on the watch, bookmarks included, shows the API is reachable.
  const watch = bookmarkWatch(
    deps.kubeConfig,
    () => stopped,
    () => up(),
  );
  const list = async () => {
    const nodes = await api.listNode();
    relists += 1;
    // Synced once ListWatch has applied the list (it does so right after this resolves): until
    // then the records still hold the previous view, or nothing on the first list.
    setImmediate(up);
    return nodes;
  };
  const informer = new ListWatch<V1Node>('/api/v1/nodes', watch, list, false);
  const records = new Map<string, NodeRecord>();
  const deleted = new Map<string, number>();
  const listeners = new Set<(node?: string) => void>();
  let status: ApiStatus = { reachable: false, synced: false, relists: 0 };
  const retry = createRelistRetry({
    minBackoffMs: deps.minBackoffMs,
    maxBackoffMs: deps.maxBackoffMs,
    restart: () => {
      if (!stopped) void informer.start();
    },
  });
  let stopped = false;
  let loggedDown = false;

  function changed(node?: string): void {
    for (const listener of [...listeners]) listener(node);
  }
  function up(): void {
    if (status.reachable && status.synced && status.relists === relists) return;
    if (!status.reachable)
      log.info({ nodes: records.size, relists }, loggedDown ? 'Kubernetes API reachable again' : 'Kubernetes API synced');
    loggedDown = false;
    retry.reset();
    status = { reachable: true, synced: true, relists };
    changed();
  }
  const upsert = (node: V1Node): void => {
    const record = nodeRecordOf(node);
    if (!record) return;
    records.set(record.name, record);
    deleted.delete(record.name);
    changed(record.name);
  };
  informer.on('add', upsert);
  informer.on('update', upsert);
  informer.on('delete', (node) => {
    const name = node.metadata?.name;
    if (!name) return;
    records.delete(name);
    deleted.set(name, deps.now());
    for (const oldest of deleted.keys()) {
      if (deleted.size <= maxDeleted) break;
      deleted.delete(oldest);
    }
    log.info({ node: name }, 'Node deleted from the Kubernetes API');
    changed(name);
  });
  informer.on('error', (err: unknown) => {
    if (stopped) return;
    const message = apiErrorMessage(err);
    if (status.reachable || !loggedDown) {
      log.warn(
        { err: message, retryInSeconds: retry.nextDelayMs / 1000, nodesKept: records.size },
        'Kubernetes API unreachable; keeping the last view of Nodes',
      );
      loggedDown = true;
    }
    status = {
      ...status,
      reachable: false,
      lastErrorMessage: message,
      unreachableSinceMs: status.reachable || status.unreachableSinceMs === undefined ? deps.now() : status.unreachableSinceMs,
      relists,
    };
    changed();
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
    records,
    deleted,
    get status() {
      return status;
    },
    get resourceVersion() {
      return informer.latestResourceVersion();
    },
    onChange: (listener) => {
      listeners.add(listener);
    },
  };
}
