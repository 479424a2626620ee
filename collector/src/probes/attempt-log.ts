// A path's probe attempts, oldest first, packed three numbers per attempt into one plain
// array (V8 keeps it as unboxed doubles): collector time in ms, RTT in seconds (−1 when the
// attempt failed), probe size in bytes. A result then costs no object of its own: at 5,000
// nodes that is ~500,000 fewer short-lived objects a second for the GC.
export type AttemptLog = number[];

const stride = 3;
const failedRtt = -1;

export const attemptCount = (log: AttemptLog): number => log.length / stride;
export const attemptAtMs = (log: AttemptLog, i: number): number => log[i * stride]!;
export const attemptOk = (log: AttemptLog, i: number): boolean => log[i * stride + 1]! >= 0;
/** Seconds; 0 for a failed attempt. */
export const attemptRtt = (log: AttemptLog, i: number): number => Math.max(0, log[i * stride + 1]!);
export const attemptSizeBytes = (log: AttemptLog, i: number): number => log[i * stride + 2]!;
/** When the newest attempt arrived, or 0 for an empty log. */
export const newestAtMs = (log: AttemptLog): number => (log.length ? log[log.length - stride]! : 0);

/** Appends one attempt, then drops the oldest beyond `max` and any older than cutoffMs. */
export function appendAttempt(
  log: AttemptLog,
  atMs: number,
  ok: boolean,
  rttSeconds: number,
  sizeBytes: number,
  max: number,
  cutoffMs: number,
): void {
  log.push(atMs, ok ? Math.max(0, rttSeconds) : failedRtt, sizeBytes);
  const n = attemptCount(log);
  let drop = Math.max(0, n - max);
  while (drop < n && log[drop * stride]! < cutoffMs) drop += 1;
  if (drop > 0) log.splice(0, drop * stride);
}

/** Removes the failed attempts in place (successes keep their order); true when any went. */
export function dropFailures(log: AttemptLog): boolean {
  let kept = 0;
  for (let i = 0; i < log.length; i += stride) {
    if (log[i + 1]! < 0) continue;
    if (kept !== i) {
      log[kept] = log[i]!;
      log[kept + 1] = log[i + 1]!;
      log[kept + 2] = log[i + 2]!;
    }
    kept += stride;
  }
  const dropped = kept < log.length;
  log.length = kept;
  return dropped;
}

/** One log, oldest first, from several (a source's host and pod agents probing the same path). */
export function mergeLogs(logs: readonly AttemptLog[]): AttemptLog {
  let merged = logs[0] ?? [];
  for (let l = 1; l < logs.length; l++) {
    const a = merged;
    const b = logs[l]!;
    const out: AttemptLog = [];
    let i = 0;
    let j = 0;
    while (i < a.length || j < b.length) {
      // Ties keep the earlier log first, like a stable sort.
      const fromA = j >= b.length || (i < a.length && a[i]! <= b[j]!);
      const src = fromA ? a : b;
      const k = fromA ? i : j;
      out.push(src[k]!, src[k + 1]!, src[k + 2]!);
      if (fromA) i += stride;
      else j += stride;
    }
    merged = out;
  }
  return merged;
}

/** For tests and readers that want objects. */
export const attemptsOf = (log: AttemptLog): { atMs: number; ok: boolean; rttSeconds: number; sizeBytes: number }[] =>
  Array.from({ length: attemptCount(log) }, (_, i) => ({
    atMs: attemptAtMs(log, i),
    ok: attemptOk(log, i),
    rttSeconds: attemptRtt(log, i),
    sizeBytes: attemptSizeBytes(log, i),
  }));
