import { describe, expect, it } from 'vitest';
import { createStreamLimits, peerAddress } from './stream-limits.ts';

describe('stream limits', () => {
  it('takes the address out of gRPC peer strings', () => {
    expect(peerAddress('ipv4:192.0.2.11:53422')).toBe('192.0.2.11');
    expect(peerAddress('ipv6:[fd00::1]:5')).toBe('fd00::1');
    expect(peerAddress('192.0.2.11:1')).toBe('192.0.2.11');
    expect(peerAddress('::1:5000')).toBe('::1');
    expect(peerAddress('fd00::12:40000')).toBe('fd00::12');
    expect(peerAddress('192.0.2.11')).toBe('192.0.2.11');
    expect(peerAddress('unix:/tmp/x')).toBe('unix:/tmp/x');
  });

  it('caps open streams in total and per peer address, and frees them on release', () => {
    const limits = createStreamLimits({ maxStreams: 3, maxStreamsPerPeer: 2, messagesPerSecond: 0 });
    const a1 = limits.admit('ipv4:192.0.2.11:1');
    const a2 = limits.admit('ipv4:192.0.2.11:2');
    expect(limits.admit('ipv4:192.0.2.11:3')).toEqual({ refused: 'more than 2 open agent streams from 192.0.2.11' });
    const b1 = limits.admit('ipv4:192.0.2.12:1');
    expect(limits.admit('ipv4:192.0.2.13:1')).toEqual({ refused: 'more than 3 open agent streams' });
    expect(limits.open).toBe(3);
    if ('refused' in a1 || 'refused' in a2 || 'refused' in b1) throw new Error('admitted');
    a1.release();
    a1.release(); // idempotent
    expect(limits.open).toBe(2);
    expect('refused' in limits.admit('ipv4:192.0.2.11:4')).toBe(false);
  });

  it('limits messages per stream with a 10 s burst', () => {
    let t = 0;
    const limits = createStreamLimits({ maxStreams: 0, maxStreamsPerPeer: 0, messagesPerSecond: 2, now: () => t });
    const ticket = limits.admit('ipv4:192.0.2.11:1');
    if ('refused' in ticket) throw new Error('refused');
    const taken = Array.from({ length: 25 }, () => ticket.takeMessage()).filter(Boolean).length;
    expect(taken).toBe(20);
    t += 1_000;
    expect([ticket.takeMessage(), ticket.takeMessage(), ticket.takeMessage()]).toEqual([true, true, false]);
  });
});
