// Answers UDP and TCP echo probes from peers on --probe-listen, in both agent modes.
// Only well-formed probes are answered, with a reply no larger than the request. Senders in
// the current peer set and strangers have budgets of their own (responder-budget.ts), so a
// flood from outside the mesh cannot cost a peer its replies or connections. A receipt per
// sender is kept only for peers (known-senders.ts): strangers are one counter, so a forged
// name can neither grow the receipts nor make the collector believe a probe arrived.
// drainReceipts() hands the receipts over once per probe batch.
import { create } from '@bufbuild/protobuf';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { ProbeProtocol, ProbeReceiptSchema, type ProbeReceipt } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { decodeProbe, largeProbeBytes, maxProbeBytes, probeHeaderBytes, probeKind, toReply } from './probe-wire.ts';
import type { KnownSenders } from './known-senders.ts';
import { createSenderBudget, type BudgetLimits } from './responder-budget.ts';

export interface ResponderStats {
  answered: number;
  ignored: number;
  rateLimited: number;
  connectionsRefused: number;
  /** Well-formed requests from senders outside the peer set (or claiming another peer's name). */
  strangerRequests: number;
  /** TCP connections closed after idling (no complete frame) for idleTimeoutMs. */
  idleClosed: number;
}

export interface ProbeResponder {
  listen(host: string, port: number): Promise<{ udpPort: number; tcpPort: number }>;
  /** Receipts counted since the last drain; the counters start again from zero. */
  drainReceipts(): ProbeReceipt[];
  close(): Promise<void>;
  readonly stats: ResponderStats;
}

export interface ProbeResponderOptions {
  logger: Logger;
  /** Who the current peers are (createKnownSenders over the agent's peer set). */
  senders: KnownSenders;
  /** Peer-set addresses' budget; defaults in peerDefaults (a peer sends ~6 requests per 5 s round per agent). */
  peers?: Partial<BudgetLimits>;
  /** Everyone else's budget, much smaller; defaults in strangerDefaults. */
  strangers?: Partial<BudgetLimits>;
  /**
   * Requests from peers that are answered but not counted as receipts. A host agent that also
   * answers for its node's pod network (--pod-network-probes via-overlay) gets both networks'
   * requests from the same sender on one responder; it leaves out those that came through the
   * overlay, so its receipts stay the host network's (the collector reads them as such).
   */
  skipReceipt?: (sourceAddress: string, sourceNode: string) => boolean;
  /** A TCP connection that completes no frame for this long is closed (default 2000 ms). */
  idleTimeoutMs?: number;
  /** Milliseconds clock of the rate budgets (tests freeze it). */
  now?: () => number;
}

export const peerDefaults: BudgetLimits = {
  ratePerSecond: 2000,
  perSourceRatePerSecond: 100,
  maxConnections: 256,
  maxConnectionsPerSource: 16,
  maxSources: 16_384,
};
export const strangerDefaults: BudgetLimits = {
  ratePerSecond: 50,
  perSourceRatePerSecond: 10,
  maxConnections: 16,
  maxConnectionsPerSource: 2,
  maxSources: 1024,
};

// Receipts are keyed by peer (node, network, protocol); the peer set bounds them, this is a backstop.
const maxReceiptKeys = 20_000;

export function createProbeResponder(options: ProbeResponderOptions): ProbeResponder {
  const log = options.logger.child({ component: 'probe-responder' });
  const peers = createSenderBudget({ ...peerDefaults, ...options.peers }, options.now);
  const strangers = createSenderBudget({ ...strangerDefaults, ...options.strangers }, options.now);
  const idleTimeoutMs = options.idleTimeoutMs ?? 2000;
  const budgetFor = (address: string) => (options.senders.isPeerAddress(address) ? peers : strangers);
  const stats: ResponderStats = { answered: 0, ignored: 0, rateLimited: 0, connectionsRefused: 0, strangerRequests: 0, idleClosed: 0 };
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
    const fromPeer = options.senders.isPeerAddress(sourceAddress);
    // A stranger over its budget costs no decoding: a flood is dropped at the cheapest point.
    if (!fromPeer && !strangers.allowAnswer(sourceAddress)) {
      stats.strangerRequests++;
      stats.rateLimited++;
      return undefined;
    }
    const probe = decodeProbe(msg);
    if (!probe || probe.kind !== probeKind.request) {
      stats.ignored++;
      return undefined;
    }
    if (fromPeer && options.senders.isSender(sourceAddress, probe.nodeName, probe.network)) {
      if (!options.skipReceipt?.(sourceAddress, probe.nodeName))
        count(probe.nodeName, probe.network, protocol, msg.length >= largeProbeBytes);
    } else stats.strangerRequests++;
    if (fromPeer && !peers.allowAnswer(sourceAddress)) {
      stats.rateLimited++;
      return undefined;
    }
    stats.answered++;
    // Never an amplifier: the reply is the request's own bytes with the kind flipped.
    return toReply(msg);
  };

  // Port 0 (tests): the kernel picks a free UDP port whose TCP twin another process's
  // connection may hold on a busy machine; listen() then tries another port (bounded).
  let portZeroRetries = 0;
  const responder: ProbeResponder = {
    stats,
    drainReceipts: () => {
      const out = [...receipts.values()];
      receipts = new Map();
      return out;
    },
    listen: async (host, port) => {
      const family = host.includes(':') ? 'udp6' : 'udp4';
      // A larger receive queue (capped by net.core.rmem_max) rides out bursts from many senders.
      udp = createSocket({ type: family, reuseAddr: false, recvBufferSize: 4 << 20 });
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
        // TCP probes: length-framed request messages; the connection is closed on anything
        // malformed, and after idleTimeoutMs without a complete frame (a prober needs one round trip).
        const source = socket.remoteAddress ?? '?';
        const release = budgetFor(source).openConnection(source);
        if (!release) {
          stats.connectionsRefused++;
          socket.destroy();
          return;
        }
        // Only a complete frame counts as activity: a byte at a time does not hold the slot.
        const idle = setTimeout(() => {
          stats.idleClosed++;
          socket.destroy();
        }, idleTimeoutMs);
        socket.once('close', () => {
          clearTimeout(idle);
          release();
        });
        let pending = Buffer.alloc(0);
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
            idle.refresh();
          }
        });
        socket.on('error', () => socket.destroy());
      });
      // The kernel-side backstop; the budgets above refuse first.
      tcp.maxConnections =
        (options.peers?.maxConnections ?? peerDefaults.maxConnections) +
        (options.strangers?.maxConnections ?? strangerDefaults.maxConnections);
      tcp.on('drop', () => stats.connectionsRefused++);
      // Same port number for both, also when the port was chosen by the kernel (port 0).
      const udpPort = udp.address().port;
      const listened = await new Promise<boolean>((resolve, reject) => {
        tcp!.once('error', (err: NodeJS.ErrnoException) =>
          port === 0 && err.code === 'EADDRINUSE' && portZeroRetries++ < 20 ? resolve(false) : reject(err),
        );
        tcp!.listen(udpPort, host, () => resolve(true));
      });
      if (!listened) {
        await new Promise<void>((resolve) => udp!.close(() => resolve()));
        return responder.listen(host, port);
      }
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
  return responder;
}
