// The state of one probe path (or a resolver) over its recent window, from the attempts the
// store kept. Window ≈ 2 probe intervals, widened to the latest 3 attempts for slow
// probes (TCP and DNS go once per round). Failing: the latest 3 attempts all failed, or
// loss ≥ 0.5 over ≥ 3 attempts unless its newest batch all passed; healthy: the latest 3 succeeded (healthy wins, so a
// repaired path recovers at once). A path not probed for 3 intervals has no state.
// Sampled paths (the agent probes a rotating sample, so a pair is visited once every
// sample_rounds rounds): judged by their newest visit — "the latest 3" becomes "the newest
// visit's attempts" (3 small UDP, 2 large, 1 TCP), because older visits are sample_rounds
// intervals old — and they go stale after 1.5 real intervals, not sample_rounds × 3, on
// purpose: the detectors then see, per node, only the ~2·k pairs probed in its last one or
// two rounds — a fresh random sample of the whole mesh — so after a fault at least half of a
// broken node's fresh pairs are bad within one interval and all of them within two, instead
// of the fault being diluted by healthy states up to a whole sweep (R rounds) old.
import { attemptAtMs, attemptCount, attemptOk, attemptRtt, attemptSizeBytes, type AttemptLog } from './attempt-log.ts';

export type Direction = 'request-lost' | 'reply-lost';

export interface WindowSummary {
  attempts: number;
  failures: number;
  lossRatio: number;
  rttP50Seconds?: number;
  rttP95Seconds?: number;
  failing: boolean;
  healthy: boolean;
  /** When the newest attempt arrived, ms (collector clock). */
  newestMs: number;
  /** When the oldest failure since the last success in the window arrived (0 when the newest attempt passed): how long the path has been failing. */
  failingSinceMs?: number;
  /** Judged as a sampled path (newest visit only). */
  sampled: boolean;
  /** Largest probe size that got through / that failed in the window, bytes (0 when none). */
  okSizeBytes: number;
  failedSizeBytes: number;
}

export const windowIntervals = 2;
export const staleIntervals = 3;
export const latestCount = 3;
/** Sampled paths: stale after this many intervals (see above). */
export const sampledStaleIntervals = 1.5;

export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/** `attempts` oldest first. Undefined when there is nothing recent enough to judge. */
export function summarize(attempts: AttemptLog, nowMs: number, intervalMs: number, sampled = false): WindowSummary | undefined {
  const n = attemptCount(attempts);
  if (n === 0) return undefined;
  const newestMs = attemptAtMs(attempts, n - 1);
  if (newestMs < nowMs - (sampled ? sampledStaleIntervals : staleIntervals) * intervalMs) return undefined;
  let judged = latestCount;
  if (sampled) {
    let visit = 0;
    while (visit < n && attemptAtMs(attempts, n - 1 - visit) === newestMs) visit += 1;
    judged = Math.min(latestCount, visit);
  }
  const windowStart = nowMs - windowIntervals * intervalMs;
  let first = n;
  while (first > 0 && attemptAtMs(attempts, first - 1) > windowStart) first -= 1;
  // One pass, no intermediate arrays: this runs for every fresh path on every pass.
  const from = Math.min(first, Math.max(0, n - judged));
  const latestFrom = Math.max(0, n - judged);
  let failures = 0;
  let latestOk = 0;
  let okSizeBytes = 0;
  let failedSizeBytes = 0;
  const rtts: number[] = [];
  let failingSinceMs = 0;
  for (let i = from; i < n; i++) {
    const size = attemptSizeBytes(attempts, i);
    if (attemptOk(attempts, i)) failingSinceMs = 0;
    else if (failingSinceMs === 0) failingSinceMs = attemptAtMs(attempts, i);
    if (attemptOk(attempts, i)) {
      rtts.push(attemptRtt(attempts, i));
      if (size > okSizeBytes) okSizeBytes = size;
      if (i >= latestFrom) latestOk += 1;
    } else {
      failures += 1;
      if (size > failedSizeBytes) failedSizeBytes = size;
    }
  }
  const recentCount = n - from;
  const latestCountSeen = n - latestFrom;
  const lossRatio = failures / recentCount;
  const healthy = latestCountSeen === judged && latestOk === judged;
  const latestFailed = latestCountSeen === judged && latestOk === 0;
  let newestBatchOk = true;
  for (let i = n - 1; i >= 0 && attemptAtMs(attempts, i) === newestMs; i--) if (!attemptOk(attempts, i)) newestBatchOk = false;
  rtts.sort((a, b) => a - b);
  const p50 = percentile(rtts, 0.5);
  const p95 = percentile(rtts, 0.95);
  return {
    attempts: recentCount,
    failures,
    lossRatio,
    ...(p50 !== undefined ? { rttP50Seconds: p50 } : {}),
    ...(p95 !== undefined ? { rttP95Seconds: p95 } : {}),
    // A path whose newest batch all passed is recovering, not failing (large probes go 2 per round).
    failing: !healthy && recentCount >= judged && (latestFailed || (lossRatio >= 0.5 && !newestBatchOk)),
    healthy,
    newestMs,
    failingSinceMs,
    sampled,
    okSizeBytes,
    failedSizeBytes,
  };
}

/**
 * Where a failing path loses its probes, from what the target's responder says it
 * received over the same window: nothing (≤ 10 %) → the requests never arrive; most
 * (≥ 50 %) → requests arrive, the replies are lost. Anything between stays unsaid.
 */
export function directionOf(sent: number, received: number | undefined): Direction | undefined {
  if (received === undefined || sent === 0) return undefined;
  if (received <= 0.1 * sent) return 'request-lost';
  if (received >= 0.5 * sent) return 'reply-lost';
  return undefined;
}
