// Back into Kubernetes (--write-back on, with the API on): an Event on the Node when a root-
// cause finding about it opens and when it resolves, and the node condition
// NetsentryNetworkProblem (reason = the finding's kind) so `kubectl describe node` and
// node-problem-detector-style automation see it. The condition changes only after the state
// held for the hysteresis; Events are rate-limited per node (token bucket; dropped ones are
// counted in the log line of the next one that goes out).
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../../../shared/src/logger.ts';
import { createTokenBucket, type TokenBucket } from '../../../shared/src/token-bucket.ts';
import type { Finding } from '../findings/finding.ts';

export const conditionType = 'NetsentryNetworkProblem';
const maxMessage = 1000;

export interface NodeWriteBack {
  /** Call with every open finding whenever findings change (and periodically, for the hysteresis). */
  update(open: readonly Finding[]): void;
  /** Resolves when the writes started so far are done (tests, shutdown). */
  idle(): Promise<void>;
}

/** Open findings that no other open finding explains, per node they name. */
export function rootCausesByNode(open: readonly Finding[]): Map<string, Finding[]> {
  const explained = new Set(open.flatMap((f) => f.explains));
  const byNode = new Map<string, Finding[]>();
  for (const finding of open) {
    if (explained.has(finding.id)) continue;
    for (const node of finding.nodes) byNode.set(node, [...(byNode.get(node) ?? []), finding]);
  }
  return byNode;
}

export function createNodeWriteBack(deps: {
  kubeConfig: KubeConfig;
  logger: Logger;
  now: () => number;
  /** Nodes the API lists: nothing is written about anything else. */
  nodeExists: (name: string) => boolean;
  hysteresisMs: number;
  eventsPerMinutePerNode: number;
  eventNamespace?: string;
}): NodeWriteBack {
  const log = deps.logger.child({ component: 'write-back' });
  const api = deps.kubeConfig.makeApiClient(CoreV1Api);
  const namespace = deps.eventNamespace ?? 'default';
  let previous = new Map<string, Finding>();
  const buckets = new Map<string, { bucket: TokenBucket; dropped: number }>();
  /** Per node: the condition as last written, and the state wanted since when. */
  const conditions = new Map<string, { written: boolean; wanted: boolean; wantedSinceMs: number; reason: string; message: string }>();
  let pending: Promise<unknown> = Promise.resolve();
  const enqueue = (work: () => Promise<unknown>): void => {
    pending = pending
      .then(work)
      .catch((err: unknown) => log.warn({ err: (err as Error).message?.slice(0, 200) }, 'write-back to the Kubernetes API failed'));
  };

  const event = (node: string, finding: Finding, opened: boolean): void => {
    let entry = buckets.get(node);
    if (!entry) {
      entry = {
        bucket: createTokenBucket({
          ratePerSecond: deps.eventsPerMinutePerNode / 60,
          burst: Math.max(1, deps.eventsPerMinutePerNode),
          now: deps.now,
        }),
        dropped: 0,
      };
      buckets.set(node, entry);
    }
    if (!entry.bucket.take()) {
      entry.dropped += 1;
      return;
    }
    const dropped = entry.dropped;
    entry.dropped = 0;
    const at = new Date(deps.now());
    const body = {
      metadata: { generateName: `${node}.netsentry.` },
      // kubectl describe node matches Node events by name, with the UID set to the node name.
      involvedObject: { apiVersion: 'v1', kind: 'Node', name: node, uid: node },
      reason: opened ? `Netsentry${finding.kind}` : `Netsentry${finding.kind}Resolved`,
      message: (opened ? finding.summary : `resolved: ${finding.summary}`).slice(0, maxMessage),
      type: opened ? 'Warning' : 'Normal',
      source: { component: 'netsentry-collector' },
      reportingComponent: 'netsentry-collector',
      reportingInstance: 'netsentry-collector',
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
    };
    enqueue(async () => {
      await api.createNamespacedEvent({ namespace, body });
      log.info({ node, reason: body.reason, droppedBefore: dropped }, 'event written on the Node');
    });
  };

  const patchCondition = (node: string, status: boolean, reason: string, message: string): void => {
    const at = new Date(deps.now()).toISOString();
    const condition = {
      type: conditionType,
      status: status ? 'True' : 'False',
      reason: status ? reason : 'NoNetworkProblem',
      message: message.slice(0, maxMessage),
      lastTransitionTime: at,
      lastHeartbeatTime: at,
    };
    enqueue(async () => {
      await api.patchNodeStatus(
        { name: node, body: { status: { conditions: [condition] } } },
        setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
      );
      log.info({ node, condition: conditionType, status: condition.status, reason: condition.reason }, 'node condition written');
    });
  };

  return {
    update(open) {
      const at = deps.now();
      const roots = rootCausesByNode(open);
      const current = new Map<string, Finding>();
      for (const [node, findings] of roots) for (const f of findings) current.set(`${node}\u0000${f.id}`, f);
      for (const [key, finding] of current)
        if (!previous.has(key)) {
          const node = key.split('\u0000')[0]!;
          if (deps.nodeExists(node)) event(node, finding, true);
        }
      for (const [key, finding] of previous)
        if (!current.has(key)) {
          const node = key.split('\u0000')[0]!;
          if (deps.nodeExists(node)) event(node, finding, false);
        }
      previous = current;
      // The condition: True while a critical root cause is open on the node, with hysteresis.
      const nodes = new Set([...conditions.keys(), ...roots.keys()]);
      for (const node of nodes) {
        if (!deps.nodeExists(node)) {
          conditions.delete(node);
          continue;
        }
        const critical = (roots.get(node) ?? []).filter((f) => f.severity === 'critical');
        const wanted = critical.length > 0;
        const reason = critical[0]?.kind ?? 'NoNetworkProblem';
        const message = wanted ? critical.map((f) => f.summary).join('; ') : 'netsentry sees no network problem on this node';
        let state = conditions.get(node);
        if (!state) {
          if (!wanted) continue;
          state = { written: false, wanted, wantedSinceMs: at, reason, message };
          conditions.set(node, state);
        }
        if (state.wanted !== wanted) Object.assign(state, { wanted, wantedSinceMs: at });
        Object.assign(state, { reason, message });
        if (state.written !== wanted && at - state.wantedSinceMs >= deps.hysteresisMs) {
          state.written = wanted;
          patchCondition(node, wanted, reason, message);
          if (!wanted) conditions.delete(node);
        }
      }
    },
    idle: () => pending.then(() => undefined),
  };
}
