import { describe, expect, it } from 'vitest';
import { createIngestLag, type StreamClock } from './ingest-lag.ts';

function setup(windowMs = 30_000) {
  let now = 1_000_000;
  const lag = createIngestLag({ now: () => now, windowMs, recomputeMs: 0 });
  return { lag, advance: (ms: number) => (now += ms), at: () => now };
}

describe('ingest lag', () => {
  it('is zero while heartbeats are read as fast as they are sent, whatever the clock offset', () => {
    const { lag, advance, at } = setup();
    const streams: StreamClock[] = [{}, {}, {}];
    for (let round = 0; round < 5; round++) {
      // Agents' clocks 40 s ahead, 2 min behind, exact.
      [40_000, -120_000, 0].forEach((skew, i) => lag.heartbeat(streams[i]!, at() + skew - 3));
      advance(5_000);
    }
    expect(lag.currentMs()).toBe(0);
  });

  it("is the delay of heartbeats that waited in the collector, measured against each stream's best", () => {
    const { lag, advance, at } = setup();
    const streams: StreamClock[] = Array.from({ length: 5 }, () => ({}));
    for (const s of streams) lag.heartbeat(s, at() - 2);
    advance(5_000);
    // The collector stalls: the next heartbeats, sent 5 s ago, are read 25 s late.
    advance(25_000);
    for (const s of streams) lag.heartbeat(s, at() - 25_000);
    expect(lag.currentMs()).toBe(25_000 - 2);
  });

  it('is not moved by one stream lying about its send time or one delayed heartbeat', () => {
    const { lag, advance, at } = setup();
    const streams: StreamClock[] = Array.from({ length: 5 }, () => ({}));
    for (let round = 0; round < 3; round++) {
      for (const s of streams) lag.heartbeat(s, at());
      advance(5_000);
    }
    lag.heartbeat(streams[0]!, at() - 3_600_000);
    lag.heartbeat(streams[1]!, at() - 60_000);
    for (const s of streams.slice(2)) lag.heartbeat(s, at());
    expect(lag.currentMs()).toBe(0);
  });

  it('forgets heartbeats older than its window: no heartbeats at all is no lag', () => {
    const { lag, advance, at } = setup(30_000);
    const stream: StreamClock = {};
    lag.heartbeat(stream, at());
    advance(40_000);
    lag.heartbeat(stream, at() - 20_000);
    expect(lag.currentMs()).toBe(20_000);
    advance(30_001);
    expect(lag.currentMs()).toBe(0);
  });

  it('ignores heartbeats without a send time (older agents)', () => {
    const { lag } = setup();
    lag.heartbeat({}, 0);
    expect(lag.currentMs()).toBe(0);
  });

  it('gives a chatty stream one sample: a flood of heartbeats from a few streams does not push the others out', () => {
    let now = 1_800_000_000_000;
    const lag = createIngestLag({ now: () => now, samples: 16, recomputeMs: 0 });
    const honest: StreamClock[] = Array.from({ length: 5 }, () => ({}));
    const liars: StreamClock[] = Array.from({ length: 3 }, () => ({}));
    for (const s of [...honest, ...liars]) lag.heartbeat(s, now);
    now += 1_000;
    for (const s of honest) lag.heartbeat(s, now);
    // Each liar sends 1,000 heartbeats claiming an hour-old send time.
    for (let i = 0; i < 1_000; i++) for (const s of liars) lag.heartbeat(s, now - 3_600_000);
    expect(lag.currentMs()).toBe(0);
  });

  it('is capped: a majority of lying streams delays AgentMissing by at most maxMs', () => {
    let now = 1_800_000_000_000;
    const lag = createIngestLag({ now: () => now, recomputeMs: 0, maxMs: 60_000 });
    const liars: StreamClock[] = Array.from({ length: 3 }, () => ({}));
    for (const s of liars) lag.heartbeat(s, now);
    now += 1_000;
    for (const s of liars) lag.heartbeat(s, now - 3_600_000);
    expect(lag.currentMs()).toBe(60_000);
  });
});
