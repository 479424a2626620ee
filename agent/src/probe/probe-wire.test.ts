import { describe, expect, it } from 'vitest';
import { decodeProbe, encodeProbe, maxProbeBytes, minProbeBytes, probeKind, probeNetwork, toReply } from './probe-wire.ts';

const identity = { nodeName: 'node-1', network: probeNetwork.pod };

describe('probe wire', () => {
  it('carries the sender identity after the 16-byte header', () => {
    const buf = encodeProbe({ kind: probeKind.request, sequence: 7, sentAtMicros: 42, ...identity });
    expect(buf.length).toBe(16 + 2 + 6);
    expect(minProbeBytes(identity)).toBe(24);
    expect(buf.readUInt16BE(6)).toBe(buf.length);
    expect(decodeProbe(buf)).toEqual({ kind: probeKind.request, sequence: 7, sentAtMicros: 42, ...identity, sizeBytes: 24 });
  });

  it('pads to the requested size, bounded by the identity below and 9000 above', () => {
    expect(encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, ...identity }, 1422).length).toBe(1422);
    expect(encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, ...identity }, 3).length).toBe(24);
    expect(encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, ...identity }, 20_000).length).toBe(maxProbeBytes);
  });

  it('a reply is the request with the kind flipped, same size and identity', () => {
    const request = encodeProbe({ kind: probeKind.request, sequence: 9, sentAtMicros: 0, ...identity }, 1200);
    const reply = toReply(request);
    expect(reply.length).toBe(request.length);
    expect(decodeProbe(reply)).toMatchObject({ kind: probeKind.reply, sequence: 9, nodeName: 'node-1', network: probeNetwork.pod });
    expect(decodeProbe(request)?.kind).toBe(probeKind.request);
  });

  it('refuses bad identities when encoding', () => {
    expect(() => encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, nodeName: '', network: 1 })).toThrow(RangeError);
    expect(() => encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, nodeName: 'x'.repeat(254), network: 1 })).toThrow(RangeError);
    expect(() => encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, nodeName: 'n', network: 3 })).toThrow(RangeError);
    expect(encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, nodeName: 'x'.repeat(63), network: 1 }).length).toBe(81);
    // Kubernetes allows 253-byte node names: such a node probes and is answered like any other.
    const long = encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, nodeName: `${'a'.repeat(249)}.com`, network: 1 });
    expect(long.length).toBe(16 + 2 + 253);
    expect(decodeProbe(long)?.nodeName).toBe(`${'a'.repeat(249)}.com`);
  });

  it('rejects anything malformed', () => {
    const good = encodeProbe({ kind: probeKind.request, sequence: 1, sentAtMicros: 0, ...identity }, 100);
    const mutate = (f: (b: Buffer) => void): Buffer => {
      const b = Buffer.from(good);
      f(b);
      return b;
    };
    expect(decodeProbe(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(decodeProbe(mutate((b) => b.writeUInt32BE(0, 0)))).toBeUndefined(); // magic
    expect(decodeProbe(mutate((b) => b.writeUInt16BE(3, 4)))).toBeUndefined(); // kind
    expect(decodeProbe(mutate((b) => b.writeUInt16BE(99, 6)))).toBeUndefined(); // length
    expect(decodeProbe(mutate((b) => b.writeUInt8(0, 16)))).toBeUndefined(); // network
    expect(decodeProbe(mutate((b) => b.writeUInt8(0, 17)))).toBeUndefined(); // empty name
    expect(decodeProbe(good.subarray(0, 20))).toBeUndefined(); // truncated
    const short = encodeProbe({ kind: 1, sequence: 1, sentAtMicros: 0, ...identity });
    short.writeUInt8(60, 17); // name longer than the message
    expect(decodeProbe(short)).toBeUndefined();
  });
});
