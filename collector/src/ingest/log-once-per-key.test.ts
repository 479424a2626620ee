import { describe, expect, it } from 'vitest';
import { createLogOncePerKey, peerHost } from './log-once-per-key.ts';

describe('createLogOncePerKey', () => {
  it('logs a key once per window and reports how many it left out', () => {
    let t = 0;
    const limiter = createLogOncePerKey({ windowMs: 1_000, maxKeys: 10, now: () => t });
    expect(limiter.shouldLog('192.0.2.11')).toEqual({ suppressed: 0 });
    expect(limiter.shouldLog('192.0.2.11')).toBeUndefined();
    expect(limiter.shouldLog('192.0.2.11')).toBeUndefined();
    expect(limiter.shouldLog('192.0.2.12')).toEqual({ suppressed: 0 });
    t = 1_000;
    expect(limiter.shouldLog('192.0.2.11')).toEqual({ suppressed: 2 });
    expect(limiter.shouldLog('192.0.2.11')).toBeUndefined();
  });

  it('forgets the oldest keys beyond maxKeys', () => {
    const limiter = createLogOncePerKey({ windowMs: 60_000, maxKeys: 2, now: () => 0 });
    limiter.shouldLog('a');
    limiter.shouldLog('b');
    limiter.shouldLog('c');
    expect(limiter.shouldLog('a')).toEqual({ suppressed: 0 });
    expect(limiter.shouldLog('c')).toBeUndefined();
  });
});

describe('peerHost', () => {
  it('drops the port', () => {
    expect(peerHost('192.0.2.11:40312')).toBe('192.0.2.11');
    expect(peerHost('[2001:db8::1]:40312')).toBe('2001:db8::1');
    expect(peerHost('unix:/run/x.sock')).toBe('unix:/run/x.sock');
  });
});
