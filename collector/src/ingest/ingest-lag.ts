// How late the collector reads what agents send. A busy collector (a connect storm, a long
// pass, a starved CPU) leaves heartbeats waiting in its own socket and HTTP/2 buffers; judged
// by the time it finally reads them, healthy agents look silent. Each heartbeat carries its
// send time: its lag is (read − sent) minus the smallest such difference seen on that stream
// (clock offset and wire time cancel out). The collector's lag is the median over streams of
// each one's newest recent heartbeat, so one agent's clock, a delayed packet or a lying agent
// cannot move it, and no heartbeats at all (every agent gone) means no lag: silence stays silence.
// A stream holds one sample slot however often it sends (a chatty sender cannot push the
// others out of the sample), and the lag is capped (maxMs): in a cluster small enough for a
// token holder's streams to be the majority, the most they can do is delay a silent agent's
// AgentMissing by that much.
export interface StreamClock {
  /** Smallest (read − sent) on this stream so far, ms; undefined before its first heartbeat. */
  offsetMs?: number;
  /** The sample slot this stream's newest heartbeat sits in (it may since have been given to another stream). */
  slot?: number;
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
  /** The largest lag reported, ms (default 60 s): a collector reading a minute late is broken, not busy. */
  maxMs?: number;
}

export function createIngestLag(options: IngestLagOptions): IngestLag {
  const windowMs = options.windowMs ?? 30_000;
  const size = options.samples ?? 512;
  const recomputeMs = options.recomputeMs ?? 500;
  const maxMs = options.maxMs ?? 60_000;
  const lags = new Float64Array(size);
  const readAt = new Float64Array(size).fill(-Infinity);
  const owner: (StreamClock | undefined)[] = new Array<StreamClock | undefined>(size);
  let next = 0;
  let cached = 0;
  let cachedAt = -Infinity;
  return {
    heartbeat(stream, sentAtMs) {
      if (!Number.isFinite(sentAtMs) || sentAtMs <= 0) return;
      const at = options.now();
      const difference = at - sentAtMs;
      stream.offsetMs = Math.min(stream.offsetMs ?? difference, difference);
      // Its own slot while it still owns it; else the oldest handed-out slot, round robin.
      let slot = stream.slot;
      if (slot === undefined || owner[slot] !== stream) {
        slot = next;
        next = (next + 1) % size;
        stream.slot = slot;
        owner[slot] = stream;
      }
      lags[slot] = difference - stream.offsetMs;
      readAt[slot] = at;
    },
    currentMs() {
      const at = options.now();
      if (at - cachedAt < recomputeMs && at >= cachedAt) return cached;
      const recent: number[] = [];
      for (let i = 0; i < size; i++) if (at - readAt[i]! <= windowMs) recent.push(lags[i]!);
      recent.sort((a, b) => a - b);
      cached = recent.length === 0 ? 0 : Math.min(maxMs, recent[Math.floor((recent.length - 1) / 2)]!);
      cachedAt = at;
      return cached;
    },
  };
}
