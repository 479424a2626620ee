import { describe, expect, it } from 'vitest';
import { appendAttempt, attemptCount, attemptsOf, dropFailures, mergeLogs, newestAtMs, type AttemptLog } from './attempt-log.ts';

describe('attempt log', () => {
  it('drops the failed attempts in place, successes in order', () => {
    const log: AttemptLog = [];
    for (let i = 0; i < 6; i++) appendAttempt(log, 1000 + i, i === 1 || i === 4, 0.001 * i, 72, 10, 0);
    expect(dropFailures(log)).toBe(true);
    expect(attemptsOf(log)).toEqual([
      { atMs: 1001, ok: true, rttSeconds: 0.001, sizeBytes: 72 },
      { atMs: 1004, ok: true, rttSeconds: 0.004, sizeBytes: 72 },
    ]);
    expect(dropFailures(log)).toBe(false);
  });

  it('appends, keeps at most max and drops attempts older than the cut-off', () => {
    const log: AttemptLog = [];
    for (let i = 0; i < 5; i++) appendAttempt(log, 1000 + i, i % 2 === 0, 0.001 * i, 72, 3, 0);
    expect(attemptsOf(log)).toEqual([
      { atMs: 1002, ok: true, rttSeconds: 0.002, sizeBytes: 72 },
      { atMs: 1003, ok: false, rttSeconds: 0, sizeBytes: 72 },
      { atMs: 1004, ok: true, rttSeconds: 0.004, sizeBytes: 72 },
    ]);
    appendAttempt(log, 5000, true, 0.001, 1450, 3, 1004);
    expect(attemptsOf(log).map((a) => a.atMs)).toEqual([1004, 5000]);
    expect(newestAtMs(log)).toBe(5000);
    expect(newestAtMs([])).toBe(0);
  });

  it('merges logs by time, stable on ties', () => {
    const a: AttemptLog = [];
    const b: AttemptLog = [];
    appendAttempt(a, 10, true, 0.1, 1, 32, 0);
    appendAttempt(a, 30, false, 0, 2, 32, 0);
    appendAttempt(b, 20, true, 0.2, 3, 32, 0);
    appendAttempt(b, 30, true, 0.3, 4, 32, 0);
    const merged = mergeLogs([a, b]);
    expect(attemptsOf(merged).map((x) => [x.atMs, x.sizeBytes])).toEqual([
      [10, 1],
      [20, 3],
      [30, 2],
      [30, 4],
    ]);
    expect(attemptCount(mergeLogs([a]))).toBe(2);
    expect(mergeLogs([])).toEqual([]);
  });
});
