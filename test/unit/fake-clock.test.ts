// The fake clock the collector's tests drive: timers fire in due order, at their due time.
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../fixtures/fake-clock.ts';

describe('createFakeClock', () => {
  it('fires timeouts and intervals that fall due during advance(), in order, with now() at each due time', () => {
    const clock = createFakeClock(1_000);
    const fired: string[] = [];
    clock.setTimeout(() => fired.push(`timeout@${clock.now()}`), 250);
    const every = clock.setInterval(() => fired.push(`interval@${clock.now()}`), 100);
    clock.setTimeout(() => clock.setTimeout(() => fired.push(`nested@${clock.now()}`), 10), 120);
    clock.advance(99);
    expect(fired).toEqual([]);
    clock.advance(201);
    expect(fired).toEqual(['interval@1100', 'nested@1130', 'interval@1200', 'timeout@1250', 'interval@1300']);
    expect(clock.now()).toBe(1_300);
    clock.clearTimer(every);
    clock.advance(1_000);
    expect(fired).toHaveLength(5);
    expect(clock.pending()).toBe(0);
  });
});
