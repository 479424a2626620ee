import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createProbeResponder, type ProbeResponder } from './probe-responder.ts';
import { decodeProbe, encodeProbe, probeKind } from './probe-wire.ts';

let responder: ProbeResponder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

function udpExchange(port: number, payload: Buffer, waitMs = 300): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, waitMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(payload, port, '127.0.0.1');
  });
}

describe('probe responder', () => {
  it('echoes a well-formed UDP probe as a reply of the same size', async () => {
    responder = createProbeResponder({ logger: createSilentLogger() });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const reply = await udpExchange(udpPort, encodeProbe({ kind: probeKind.request, sequence: 7, sentAtMicros: 1 }, 1200));
    expect(reply?.length).toBe(1200);
    expect(decodeProbe(reply!)).toEqual({ kind: probeKind.reply, sequence: 7, sentAtMicros: 1 });
  });

  it('ignores garbage and replies, so it cannot be turned into a reflector', async () => {
    responder = createProbeResponder({ logger: createSilentLogger() });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    expect(await udpExchange(udpPort, Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toBeUndefined();
    expect(await udpExchange(udpPort, encodeProbe({ kind: probeKind.reply, sequence: 1, sentAtMicros: 1 }))).toBeUndefined();
    expect(responder.stats.ignored).toBe(2);
    expect(responder.stats.answered).toBe(0);
  });

  it('rate-limits answers', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), ratePerSecond: 2 });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const probe = encodeProbe({ kind: probeKind.request, sequence: 1, sentAtMicros: 1 });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await udpExchange(udpPort, probe, 100));
    expect(replies.filter(Boolean)).toHaveLength(2);
    expect(responder.stats.rateLimited).toBe(2);
  });

  it('echoes framed TCP probes', async () => {
    responder = createProbeResponder({ logger: createSilentLogger() });
    const { tcpPort } = await responder.listen('127.0.0.1', 0);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(tcpPort, '127.0.0.1', () => socket.write(encodeProbe({ kind: probeKind.request, sequence: 3, sentAtMicros: 9 }, 64)));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data);
      });
      socket.once('error', reject);
    });
    expect(decodeProbe(reply)).toEqual({ kind: probeKind.reply, sequence: 3, sentAtMicros: 9 });
  });
});
