// Answers UDP and TCP echo probes from peers on --probe-listen, in both agent modes.
// Only well-formed probes are answered, at a bounded rate (in total and per source address),
// with a reply no larger than the request; TCP connections are capped in total and per source.
// Every well-formed request is counted as a receipt per sender, so the collector can tell a
// lost request from a lost reply; drainReceipts() hands them over once per probe batch.
import { create } from '@bufbuild/protobuf';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { ProbeProtocol, ProbeReceiptSchema, type ProbeReceipt } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { decodeProbe, largeProbeBytes, maxProbeBytes, probeHeaderBytes, probeKind, toReply } from './probe-wire.ts';
import { createTokenBucket, type TokenBucket } from '../../../shared/src/token-bucket.ts';

export interface ProbeResponder {
  listen(host: string, port: number): Promise<{ udpPort: number; tcpPort: number }>;
  /** Receipts counted since the last drain; the counters start again from zero. */
  drainReceipts(): ProbeReceipt[];
  close(): Promise<void>;
  readonly stats: { answered: number; ignored: number; rateLimited: number; connectionsRefused: number };
}

export interface ProbeResponderOptions {
  logger: Logger;
  /** Answers per second, all sources together (default 2000). */
  ratePerSecond?: number;
  /** Answers per second to one source address (default 100; a peer sends ~6 per 5 s round per agent). */
  perSourceRatePerSecond?: number;
  /** Open TCP probe connections, in total (default 256) and per source address (default 16). */
  maxConnections?: number;
  maxConnectionsPerSource?: number;
}

// Senders are named by the requests themselves: bound the table so forged names cannot grow it.
const maxReceiptKeys = 20_000;
// Per-source buckets live in a bounded table; when it is full it starts over (the total
// bucket still holds), so spoofed source addresses cannot grow memory.
const maxSourceBuckets = 4_096;

export function createProbeResponder(options: ProbeResponderOptions): ProbeResponder {
  const log = options.logger.child({ component: 'probe-responder' });
  const bucket = createTokenBucket({ ratePerSecond: options.ratePerSecond ?? 2000, burst: options.ratePerSecond ?? 2000 });
  const perSourceRate = options.perSourceRatePerSecond ?? 100;
  const maxConnections = options.maxConnections ?? 256;
  const maxConnectionsPerSource = options.maxConnectionsPerSource ?? 16;
  let sourceBuckets = new Map<string, TokenBucket>();
  const connectionsBySource = new Map<string, number>();
  const stats = { answered: 0, ignored: 0, rateLimited: 0, connectionsRefused: 0 };
  const sourceAllows = (address: string): boolean => {
    let source = sourceBuckets.get(address);
    if (!source) {
      if (sourceBuckets.size >= maxSourceBuckets) sourceBuckets = new Map();
      source = createTokenBucket({ ratePerSecond: perSourceRate, burst: perSourceRate });
      sourceBuckets.set(address, source);
    }
    return source.take();
  };
  let receipts = new Map<string, ProbeReceipt>();
  let udp: Socket | undefined;
  let tcp: Server | undefined;

  const count = (sourceNode: string, sourceNetwork: number, protocol: ProbeProtocol, large: boolean): void => {
    const key = `${sourceNode}\u0000${sourceNetwork}\u0000${protocol}`;
    let receipt = receipts.get(key);
    if (!receipt) {
      if (receipts.size >= maxReceiptKeys) return;
      receipt = create(ProbeReceiptSchema, { sourceNode, sourceNetwork, protocol });
      receipts.set(key, receipt);
    }
    receipt.requests++;
    if (large) receipt.largeRequests++;
  };

  const reply = (msg: Buffer, protocol: ProbeProtocol, sourceAddress: string): Buffer | undefined => {
    const probe = decodeProbe(msg);
    if (!probe || probe.kind !== probeKind.request) {
      stats.ignored++;
      return undefined;
    }
    count(probe.nodeName, probe.network, protocol, msg.length >= largeProbeBytes);
    if (!sourceAllows(sourceAddress) || !bucket.take()) {
      stats.rateLimited++;
      return undefined;
    }
    stats.answered++;
    // Never an amplifier: the reply is the request's own bytes with the kind flipped.
    return toReply(msg);
  };

  return {
    stats,
    drainReceipts: () => {
      const out = [...receipts.values()];
      receipts = new Map();
      return out;
    },
    listen: async (host, port) => {
      const family = host.includes(':') ? 'udp6' : 'udp4';
      udp = createSocket({ type: family, reuseAddr: false });
      udp.on('message', (msg, rinfo) => {
        const out = reply(msg, ProbeProtocol.UDP, rinfo.address);
        if (out) udp?.send(out, rinfo.port, rinfo.address);
      });
      udp.on('error', (err) => log.error({ err }, 'probe responder UDP socket error'));
      await new Promise<void>((resolve, reject) => {
        udp!.once('error', reject);
        udp!.bind(port, host, () => resolve());
      });
      tcp = createServer((socket) => {
        // TCP probes: length-framed request messages; the connection is closed on anything malformed.
        const source = socket.remoteAddress ?? '?';
        const open = connectionsBySource.get(source) ?? 0;
        if (open >= maxConnectionsPerSource) {
          stats.connectionsRefused++;
          socket.destroy();
          return;
        }
        connectionsBySource.set(source, open + 1);
        socket.once('close', () => {
          const left = (connectionsBySource.get(source) ?? 1) - 1;
          if (left <= 0) connectionsBySource.delete(source);
          else connectionsBySource.set(source, left);
        });
        let pending = Buffer.alloc(0);
        socket.setTimeout(10_000, () => socket.destroy());
        socket.on('data', (chunk) => {
          pending = Buffer.concat([pending, chunk]);
          while (pending.length >= probeHeaderBytes) {
            const size = pending.readUInt16BE(6);
            if (size < probeHeaderBytes || size > maxProbeBytes) return socket.destroy();
            if (pending.length < size) return;
            const frame = pending.subarray(0, size);
            pending = pending.subarray(size);
            const out = reply(frame, ProbeProtocol.TCP, source);
            if (!out) return socket.destroy();
            socket.write(out);
          }
        });
        socket.on('error', () => socket.destroy());
      });
      tcp.maxConnections = maxConnections;
      tcp.on('drop', () => stats.connectionsRefused++);
      // Same port number for both, also when the port was chosen by the kernel (port 0).
      const udpPort = udp.address().port;
      await new Promise<void>((resolve, reject) => {
        tcp!.once('error', reject);
        tcp!.listen(udpPort, host, () => resolve());
      });
      const tcpAddress = tcp.address();
      log.info({ host, udpPort }, 'probe responder started');
      return { udpPort, tcpPort: typeof tcpAddress === 'object' && tcpAddress ? tcpAddress.port : udpPort };
    },
    close: async () => {
      await Promise.all([
        new Promise<void>((resolve) => (udp ? udp.close(() => resolve()) : resolve())),
        new Promise<void>((resolve) => (tcp ? tcp.close(() => resolve()) : resolve())),
      ]);
    },
  };
}
