// The main thread's event-loop delay, so a batch can say when the agent itself was stalled.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopDelay {
  /** p99 delay in seconds since the last call; the histogram then starts again. */
  takeP99Seconds(): number;
  stop(): void;
}

export function createEventLoopDelay(resolutionMs = 10): EventLoopDelay {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  return {
    takeP99Seconds: () => {
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e9 : 0;
      histogram.reset();
      return p99;
    },
    stop: () => histogram.disable(),
  };
}
