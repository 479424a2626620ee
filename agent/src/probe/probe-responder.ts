// Answers UDP and TCP echo probes from peers on --probe-listen, in both agent modes.
// Only well-formed probes are answered, at a bounded rate, with a reply no larger than the request.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { Logger } from '../../../shared/src/logger.ts';
import { decodeProbe, maxProbeBytes, probeHeaderBytes, probeKind } from './probe-wire.ts';
import { createTokenBucket } from './token-bucket.ts';

export interface ProbeResponder {
  listen(host: string, port: number): Promise<{ udpPort: number; tcpPort: number }>;
  close(): Promise<void>;
  readonly stats: { answered: number; ignored: number; rateLimited: number };
}

export function createProbeResponder(options: { logger: Logger; ratePerSecond?: number }): ProbeResponder {
  const log = options.logger.child({ component: 'probe-responder' });
  const bucket = createTokenBucket({ ratePerSecond: options.ratePerSecond ?? 2000, burst: options.ratePerSecond ?? 2000 });
  const stats = { answered: 0, ignored: 0, rateLimited: 0 };
  let udp: Socket | undefined;
  let tcp: Server | undefined;

  const reply = (msg: Buffer): Buffer | undefined => {
    const header = decodeProbe(msg);
    if (!header || header.kind !== probeKind.request) {
      stats.ignored++;
      return undefined;
    }
    if (!bucket.take()) {
      stats.rateLimited++;
      return undefined;
    }
    stats.answered++;
    const out = Buffer.from(msg);
    out.writeUInt16BE(probeKind.reply, 4);
    return out;
  };

  return {
    stats,
    listen: async (host, port) => {
      const family = host.includes(':') ? 'udp6' : 'udp4';
      udp = createSocket({ type: family, reuseAddr: false });
      udp.on('message', (msg, rinfo) => {
        const out = reply(msg);
        if (out) udp?.send(out, rinfo.port, rinfo.address);
      });
      udp.on('error', (err) => log.error({ err }, 'probe responder UDP socket error'));
      await new Promise<void>((resolve, reject) => {
        udp!.once('error', reject);
        udp!.bind(port, host, () => resolve());
      });
      tcp = createServer((socket) => {
        // TCP probes: fixed-size request frames; the connection is closed on anything malformed.
        let pending = Buffer.alloc(0);
        socket.setTimeout(10_000, () => socket.destroy());
        socket.on('data', (chunk) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= probeHeaderBytes) {
            const size = pending.readUInt16BE(6) || probeHeaderBytes;
            if (size < probeHeaderBytes || size > maxProbeBytes) return socket.destroy();
            if (pending.length < size) return;
            const frame = pending.subarray(0, size);
            pending = pending.subarray(size);
            const out = reply(frame);
            if (!out) return socket.destroy();
            socket.write(out);
          }
        });
        socket.on('error', () => socket.destroy());
      });
      await new Promise<void>((resolve, reject) => {
        tcp!.once('error', reject);
        tcp!.listen(port, host, () => resolve());
      });
      const udpPort = udp.address().port;
      const tcpAddress = tcp.address();
      log.info({ host, udpPort }, 'probe responder started');
      return { udpPort, tcpPort: typeof tcpAddress === 'object' && tcpAddress ? tcpAddress.port : port };
    },
    close: async () => {
      await Promise.all([
        new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve())),
        new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve())),
      ]);
    },
  };
}
