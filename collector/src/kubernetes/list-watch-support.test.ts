import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiErrorMessage, createRelistRetry } from './list-watch-support.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

describe('relist retry', () => {
  it('waits the backoff within ±20 %, doubles it up to the maximum, and starts again from the minimum after reset', () => {
    let restarts = 0;
    const retry = createRelistRetry({ minBackoffMs: 1_000, maxBackoffMs: 3_000, restart: () => void restarts++ });
    retry.schedule();
    vi.advanceTimersByTime(799);
    expect(restarts).toBe(0);
    vi.advanceTimersByTime(401);
    expect(restarts).toBe(1);
    expect(retry.nextDelayMs).toBe(2_000);
    retry.schedule();
    retry.schedule();
    expect(retry.nextDelayMs).toBe(3_000);
    vi.advanceTimersByTime(10_000);
    // The second schedule replaced the first: one restart, not two.
    expect(restarts).toBe(2);
    retry.reset();
    expect(retry.nextDelayMs).toBe(1_000);
  });

  it('cancel stops a scheduled restart', () => {
    let restarts = 0;
    const retry = createRelistRetry({ restart: () => void restarts++ });
    retry.schedule();
    retry.cancel();
    vi.advanceTimersByTime(60_000);
    expect(restarts).toBe(0);
  });

  it('api error messages are bounded, and take the body of a client error without a message', () => {
    expect(apiErrorMessage(new Error('x'.repeat(500)))).toHaveLength(200);
    expect(apiErrorMessage({ body: 'forbidden' })).toBe('forbidden');
  });
});
