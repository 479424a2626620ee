// How late the collector reads what agents send. A busy collector (a connect storm, a long
// pass, a starved CPU) leaves heartbeats waiting in its own socket and HTTP/2 buffers; judged
// by the time it finally reads them, healthy agents look silent. Each heartbeat carries its
// send time: its lag is (read − sent) minus the smallest such difference seen on that stream
// (clock offset and wire time cancel out). The collector's lag is the median over streams of
// each one's newest recent heartbeat, so one agent's clock, a delayed packet or a lying agent
// cannot move it, and no heartbeats at all (every agent gone) means no lag: silence stays silence.
export interface StreamClock {
  /** Smallest (read − sent) on this stream so far, ms; undefined before its first heartbeat. */
  offsetMs?: number;
}

export interface IngestLag {
  /** A heartbeat sent at `sentAtMs` (agent clock) was read now. */
  heartbeat(stream: StreamClock, sentAtMs: number): void;
  /** The collector's current read lag, ms (0 when unknown). Cached for `recomputeMs`. */
  currentMs(): number;
}

export interface IngestLagOptions {
  now: () => number;
  /** Heartbeats older than this no longer count (default 30 s). */
  windowMs?: number;
  /** Heartbeats kept, newest first (default 512): enough for a median, O(1) memory. */
  samples?: number;
  recomputeMs?: number;
}

export function createIngestLag(options: IngestLagOptions): IngestLag {
  const windowMs = options.windowMs ?? 30_000;
  const size = options.samples ?? 512;
  const recomputeMs = options.recomputeMs ?? 500;
  const lags = new Float64Array(size);
  const readAt = new Float64Array(size).fill(-Infinity);
  const from: (StreamClock | undefined)[] = new Array<StreamClock | undefined>(size);
  let next = 0;
  let cached = 0;
  let cachedAt = -Infinity;
  return {
    heartbeat(stream, sentAtMs) {
      if (!Number.isFinite(sentAtMs) || sentAtMs <= 0) return;
      const at = options.now();
      const difference = at - sentAtMs;
      stream.offsetMs = Math.min(stream.offsetMs ?? difference, difference);
      lags[next] = difference - stream.offsetMs;
      readAt[next] = at;
      from[next] = stream;
      next = (next + 1) % size;
    },
    currentMs() {
      const at = options.now();
      if (at - cachedAt < recomputeMs && at >= cachedAt) return cached;
      const recent: number[] = [];
      const seen = new Set<StreamClock>();
      // Newest first: a stream counts once, with its latest heartbeat.
      for (let n = 1; n <= size; n++) {
        const i = (next - n + size) % size;
        if (at - readAt[i]! > windowMs) break;
        if (seen.has(from[i]!)) continue;
        seen.add(from[i]!);
        recent.push(lags[i]!);
      }
      recent.sort((a, b) => a - b);
      cached = recent.length === 0 ? 0 : recent[Math.floor((recent.length - 1) / 2)]!;
      cachedAt = at;
      return cached;
    },
  };
}
