// A token bucket: `burst` tokens, refilled at `ratePerSecond`. Bounds how often something
// may happen (probe replies, messages per agent stream) without timers.
export interface TokenBucket {
  /** Takes `n` tokens (default 1) if there are enough; false otherwise. */
  take(n?: number): boolean;
}

export function createTokenBucket(options: { ratePerSecond: number; burst: number; now?: () => number }): TokenBucket {
  const now = options.now ?? (() => performance.now());
  let tokens = options.burst;
  let last = now();
  return {
    take: (n = 1) => {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.ratePerSecond);
      last = t;
      if (tokens < n) return false;
      tokens -= n;
      return true;
    },
  };
}
