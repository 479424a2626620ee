import { describe, expect, it } from 'vitest';
import { createBackoff } from './backoff.ts';

describe('createBackoff', () => {
  it('doubles up to the cap, with jitter within [step/2, step]', () => {
    const low = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 0 });
    const high = createBackoff({ initialMs: 500, maxMs: 30_000, random: () => 1 });
    const lows = Array.from({ length: 10 }, () => low.next());
    const highs = Array.from({ length: 10 }, () => high.next());
    expect(highs.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(lows.slice(0, 3)).toEqual([250, 500, 1000]);
    expect(highs.at(-1)).toBe(30_000);
    expect(lows.at(-1)).toBe(15_000);
  });
  it('starts over after reset', () => {
    const b = createBackoff({ initialMs: 100, maxMs: 1000, random: () => 1 });
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(100);
  });
});
