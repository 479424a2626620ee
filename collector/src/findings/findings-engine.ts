// Runs the detectors over model snapshots and keeps findings with a life cycle: a new
// candidate opens (since = now), an open finding no detector produces any more resolves and
// stays visible for resolvedRetentionMs, evidence updates in place while open.
// Re-evaluates on model changes (debounced) and on a tick, for time-based kinds (AgentMissing).
// A pass blocks the event loop, so both waits stretch to a multiple of the last pass's
// duration: detectors never take more than about a quarter of the loop from the ingest.
import { systemClock, type TimerHandle, type Timers } from '../../../shared/src/clock.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import type { Detector, FindingCandidate } from '../detectors/finding-candidate.ts';
import { isRootCauseKind } from '../detectors/finding-kinds.ts';
import { linkSymptoms } from '../detectors/link-symptoms.ts';
import type { ClusterModel } from '../model/cluster-model.ts';
import { sameCandidate, toFinding, type Finding, type FindingRecord } from './finding.ts';
import { orderFindings } from './finding-order.ts';
import { limitFindingsPerNode, type FindingsBudgetResult } from './findings-budget.ts';
import { withParents } from './finding-parents.ts';

export type { Finding, FindingState } from './finding.ts';

export interface FindingsEngineOptions {
  /**
   * repairPoint is required, not optional: a root cause that resolves voids the probe failures
   * of its nodes (a repair invalidates the failures it explained). A wrapper that dropped it
   * once made the UDP-drop repair blame healthy pairs (issue 13).
   */
  model: Pick<ClusterModel, 'snapshot' | 'onStateChange' | 'repairPoint'>;
  detectors: Detector[];
  now: () => number;
  /** The debounce and the tick; the system's timers unless a test drives a fake clock. */
  timers?: Timers;
  logger: Logger;
  resolvedRetentionMs?: number;
  debounceMs?: number;
  tickMs?: number;
  /** Findings naming one node, at most (0 = no cap); findings-budget.ts. */
  maxFindingsPerNode?: number;
  /** Called per pass for each node over that budget: candidates left out now, and how many of them were not left out in the previous pass. */
  findingsDropped?: (node: string, dropped: number, newlyDropped: number) => void;
}

export interface FindingsEngine {
  start(): void;
  stop(): void;
  /** Runs every detector once, synchronously; returns how long it took in seconds. */
  evaluate(): number;
  /** Root causes first, then severity, then since. */
  list(options?: { state?: 'open' | 'all' }): Finding[];
  /** Called after an evaluation that opened, resolved, updated or dropped a finding. */
  onChange(listener: () => void): () => void;
  /** Called after every evaluation with its duration in seconds. */
  onEvaluated(listener: (seconds: number) => void): () => void;
}

export function createFindingsEngine(options: FindingsEngineOptions): FindingsEngine {
  const { model, detectors, now } = options;
  const timers = options.timers ?? systemClock;
  const retentionMs = options.resolvedRetentionMs ?? 15 * 60_000;
  // The next pass waits at least this many times as long as the last one took, so passes take
  // at most ~1/9 of the collector's core however large the cluster grows (at 5,000 nodes a
  // ~40 ms pass: a change judged within ~0.35 s, against 5 s probe intervals); in a small
  // cluster a pass is under a millisecond and the debounce decides.
  const passSpacing = 8;
  const debounceMs = options.debounceMs ?? 25;
  const tickMs = options.tickMs ?? 1000;
  const log = options.logger.child({ component: 'findings' });
  const records = new Map<string, FindingRecord>();
  const changeListeners = new Set<() => void>();
  const evaluatedListeners = new Set<(seconds: number) => void>();
  let debounceTimer: TimerHandle | undefined;
  let tickTimer: TimerHandle | undefined;
  let unsubscribe: (() => void) | undefined;
  let lastMs = 0;
  let droppedBefore = new Set<string>();

  const runDetectors = (): { candidates: FindingCandidate[]; failedKinds: Set<string>; budget: FindingsBudgetResult } => {
    const snapshot = model.snapshot();
    const candidates: FindingCandidate[] = [];
    const failedKinds = new Set<string>();
    for (const detector of detectors) {
      try {
        candidates.push(...detector.detect(snapshot));
      } catch (err) {
        // Keep this kind's findings as they are rather than resolve them on a bug.
        failedKinds.add(detector.kind);
        log.error({ err, detector: detector.kind }, 'detector failed');
      }
    }
    const budget = limitFindingsPerNode(
      linkSymptoms(candidates),
      options.maxFindingsPerNode ?? 0,
      (id) => records.get(id)?.state === 'open',
    );
    return { candidates: budget.kept, failedKinds, budget };
  };

  // Counted once per candidate while it stays left out; reported per node every pass.
  const reportDropped = ({ dropped, left }: FindingsBudgetResult): void => {
    if (options.findingsDropped && dropped.size > 0) {
      const fresh = new Map<string, number>();
      for (const c of left)
        if (!droppedBefore.has(c.id)) for (const node of c.nodes) if (dropped.has(node)) fresh.set(node, (fresh.get(node) ?? 0) + 1);
      for (const [node, count] of dropped) options.findingsDropped(node, count, fresh.get(node) ?? 0);
    }
    droppedBefore = new Set(left.map((c) => c.id));
  };

  const evaluate = (): number => {
    const started = performance.now();
    const at = now();
    let { candidates, failedKinds, budget } = runDetectors();
    let produced = new Set(candidates.map((c) => c.id));
    // A root cause about to resolve is a repair point for its nodes: the failures it explained
    // predate the repair, so they must not reappear as new findings about the healthy pair
    // they leave behind. Void those failures, then judge again from what is left.
    const resolvingNodes = new Set<string>();
    for (const record of records.values()) {
      const { id, kind, nodes } = record.candidate;
      if (record.state === 'open' && !produced.has(id) && !failedKinds.has(kind) && isRootCauseKind(kind))
        for (const n of nodes) resolvingNodes.add(n);
    }
    if (resolvingNodes.size > 0) {
      model.repairPoint(resolvingNodes);
      ({ candidates, failedKinds, budget } = runDetectors());
      produced = new Set(candidates.map((c) => c.id));
    }
    reportDropped(budget);
    let changed = false;
    for (const raw of candidates) {
      // A root cause only links findings that are open in this same pass.
      const candidate = { ...raw, explains: raw.explains.filter((id) => id !== raw.id && produced.has(id)) };
      const existing = records.get(candidate.id);
      if (existing?.state === 'open') {
        if (!sameCandidate(existing.candidate, candidate)) {
          existing.candidate = candidate;
          changed = true;
        }
        continue;
      }
      // Pending: visible with ?state=all, not in the list or metrics, until its evidence is complete.
      if (candidate.pending) {
        if (existing?.state === 'pending') existing.candidate = candidate;
        else records.set(candidate.id, { candidate, sinceMs: at, state: 'pending' });
        continue;
      }
      records.set(candidate.id, { candidate, sinceMs: at, state: 'open' });
      changed = true;
      log.info(
        { id: candidate.id, kind: candidate.kind, severity: candidate.severity, nodes: candidate.nodes, summary: candidate.summary },
        'finding opened',
      );
    }
    for (const [id, record] of records) {
      if (record.state === 'pending' && !produced.has(id)) records.delete(id);
      else if (record.state === 'open' && !produced.has(id) && !failedKinds.has(record.candidate.kind)) {
        record.state = 'resolved';
        record.resolvedAtMs = at;
        changed = true;
        log.info(
          { id, kind: record.candidate.kind, nodes: record.candidate.nodes, openSeconds: (at - record.sinceMs) / 1000 },
          'finding resolved',
        );
      } else if (record.state === 'resolved' && at - (record.resolvedAtMs ?? at) > retentionMs) {
        records.delete(id);
        changed = true;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    lastMs = seconds * 1000;
    for (const listener of [...evaluatedListeners]) listener(seconds);
    if (changed) for (const listener of [...changeListeners]) listener();
    return seconds;
  };

  const schedule = (): void => {
    if (debounceTimer) return;
    debounceTimer = timers.setTimeout(
      () => {
        debounceTimer = undefined;
        evaluate();
      },
      Math.max(debounceMs, passSpacing * lastMs),
    );
  };
  const tick = (): void => {
    evaluate();
    tickTimer = timers.setTimeout(tick, Math.max(tickMs, passSpacing * lastMs));
    tickTimer.unref();
  };

  return {
    start() {
      if (unsubscribe) return;
      unsubscribe = model.onStateChange(schedule);
      evaluate();
      tickTimer = timers.setTimeout(tick, Math.max(tickMs, passSpacing * lastMs));
      tickTimer.unref();
      log.info(
        { detectors: detectors.map((d) => d.kind), tickMs, debounceMs, resolvedRetentionMs: retentionMs },
        'findings engine started',
      );
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      timers.clearTimer(debounceTimer);
      debounceTimer = undefined;
      timers.clearTimer(tickTimer);
      tickTimer = undefined;
    },
    evaluate,
    list(listOptions = {}) {
      const all = [...records.values()];
      const selected = listOptions.state === 'all' ? all : all.filter((r) => r.state === 'open');
      return withParents(orderFindings(selected).map(toFinding));
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    onEvaluated(listener) {
      evaluatedListeners.add(listener);
      return () => evaluatedListeners.delete(listener);
    },
  };
}
