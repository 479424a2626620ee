// Bounds how many probes a responder answers per second, so it cannot be used to flood.
export interface TokenBucket {
  take(): boolean;
}

export function createTokenBucket(options: { ratePerSecond: number; burst: number; now?: () => number }): TokenBucket {
  const now = options.now ?? (() => performance.now());
  let tokens = options.burst;
  let last = now();
  return {
    take: () => {
      const t = now();
      tokens = Math.min(options.burst, tokens + ((t - last) / 1000) * options.ratePerSecond);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
