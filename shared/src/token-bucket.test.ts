import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './token-bucket.ts';

describe('token bucket', () => {
  it('allows a burst, then the refill rate', () => {
    let t = 0;
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3, now: () => t });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    t += 100; // one token back
    expect([bucket.take(), bucket.take()]).toEqual([true, false]);
    t += 10_000; // never more than the burst
    expect([bucket.take(3), bucket.take()]).toEqual([true, false]);
  });
});
