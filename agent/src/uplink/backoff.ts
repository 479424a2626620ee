// Exponential backoff with "equal jitter": half the step fixed, half random, so a fleet of
// agents that lost the collector together does not come back in lock-step.
export interface Backoff {
  next(): number;
  reset(): void;
}

export function createBackoff(options: { initialMs: number; maxMs: number; random?: () => number }): Backoff {
  const random = options.random ?? Math.random;
  let attempt = 0;
  return {
    next: () => {
      const step = Math.min(options.maxMs, options.initialMs * 2 ** attempt);
      attempt = Math.min(attempt + 1, 30);
      return Math.round(step / 2 + random() * (step / 2));
    },
    reset: () => {
      attempt = 0;
    },
  };
}
