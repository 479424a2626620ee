// Time as a dependency: the wall clock and the timers a component schedules on it. Production
// passes systemClock; tests pass a fake (test/fixtures/fake-clock.ts) and move time themselves.

/** What a scheduled callback hands back: enough to let the process exit while it waits. */
export interface TimerHandle {
  unref(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  setInterval(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timeout or an interval; undefined is a no-op. */
  clearTimer(handle: TimerHandle | undefined): void;
}

export type Timers = Pick<Clock, 'setTimeout' | 'setInterval' | 'clearTimer'>;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  setInterval: (callback, ms) => setInterval(callback, ms),
  // Node's clearTimeout clears intervals as well (one Timeout class).
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};
