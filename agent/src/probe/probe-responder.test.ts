import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createKnownSenders } from './known-senders.ts';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createProbeResponder, type ProbeResponder } from './probe-responder.ts';
import { decodeProbe, encodeProbe, probeKind, probeNetwork, type ProbeIdentity } from './probe-wire.ts';

let responder: ProbeResponder | undefined;
afterEach(async () => {
  await responder?.close();
  responder = undefined;
});

// The test's peers all send from loopback: node-2's host agent and node-3's pod agent.
const peerSet = [
  create(PeerSchema, { nodeName: 'node-2', network: Network.HOST, nodeIp: '127.0.0.1', probeAddress: '127.0.0.1', probePort: 1 }),
  create(PeerSchema, {
    nodeName: 'node-3',
    network: Network.POD,
    nodeIp: '192.0.2.3',
    podCidrs: ['127.0.3.0/24'],
    probeAddress: '127.0.3.9',
    probePort: 1,
  }),
];
const senders = createKnownSenders(() => peerSet);
const strangersOnly = createKnownSenders(() => []);

const from: ProbeIdentity = { nodeName: 'node-2', network: probeNetwork.host };
const request = (sequence: number, size = 0, who = from): Buffer =>
  encodeProbe({ kind: probeKind.request, sequence, sentAtMicros: 1, ...who }, size);

/** Longest a test waits for a reply that must come: a bound on a hung test, not a synchronization. */
const replyDeadlineMs = 5000;

/** A UDP socket bound to `sourceAddress` (the claimed sender's address) that keeps what it receives. */
async function udpClient(sourceAddress = '127.0.0.1') {
  const socket = createSocket(sourceAddress.includes(':') ? 'udp6' : 'udp4');
  const received: Buffer[] = [];
  let taken = 0;
  socket.on('message', (msg) => received.push(msg));
  await new Promise<void>((resolve) => socket.bind(0, sourceAddress, () => resolve()));
  return {
    received,
    send: (payload: Buffer, port: number, host = sourceAddress.includes(':') ? '::1' : '127.0.0.1') => socket.send(payload, port, host),
    /** The next datagram not yet taken. */
    next: async (): Promise<Buffer> => {
      await expect
        .poll(() => received.length, { timeout: replyDeadlineMs, message: `no reply within ${replyDeadlineMs} ms` })
        .toBeGreaterThan(taken);
      return received[taken++]!;
    },
    close: () => socket.close(),
  };
}

/** One request from `sourceAddress` and its reply. */
async function udpExchange(port: number, payload: Buffer, sourceAddress = '127.0.0.1', host?: string): Promise<Buffer> {
  const client = await udpClient(sourceAddress);
  try {
    client.send(payload, port, host);
    return await client.next();
  } finally {
    client.close();
  }
}

/**
 * Asserts that `ignored` gets no reply: a well-formed request sent after it on the same socket
 * is answered, and its reply is the first datagram back (loopback keeps the order, the
 * responder handles datagrams in order), so a reply to `ignored` could not have been missed.
 */
async function expectNoReply(port: number, ignored: Buffer, sourceAddress = '127.0.0.1'): Promise<void> {
  const client = await udpClient(sourceAddress);
  try {
    client.send(ignored, port);
    client.send(request(0xbeef), port);
    expect(decodeProbe(await client.next())).toMatchObject({ kind: probeKind.reply, sequence: 0xbeef });
  } finally {
    client.close();
  }
}

/** Sends `requests` in one burst and returns the replies, once the responder has handled every one. */
async function udpBurst(r: ProbeResponder, port: number, requests: Buffer[]): Promise<Buffer[]> {
  const client = await udpClient();
  const before = r.stats.answered + r.stats.rateLimited;
  try {
    for (const payload of requests) client.send(payload, port);
    await expect.poll(() => r.stats.answered + r.stats.rateLimited - before, { timeout: replyDeadlineMs }).toBe(requests.length);
    await expect.poll(() => client.received.length, { timeout: replyDeadlineMs }).toBe(r.stats.answered);
    return client.received;
  } finally {
    client.close();
  }
}

function tcpExchange(port: number, frames: Buffer[], host = '127.0.0.1'): Promise<Buffer> {
  const expected = frames.reduce((n, f) => n + f.length, 0);
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const socket = connect(port, host, () => socket.write(Buffer.concat(frames)));
    socket.on('data', (data) => {
      received = Buffer.concat([received, data]);
      if (received.length >= expected) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.once('error', reject);
  });
}

describe('probe responder', () => {
  it('echoes a well-formed UDP probe as a reply of the same size', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort, tcpPort } = await responder.listen('127.0.0.1', 0);
    expect(tcpPort).toBe(udpPort);
    const reply = await udpExchange(udpPort, request(7, 1200));
    expect(reply.length).toBe(1200);
    expect(decodeProbe(reply)).toMatchObject({ kind: probeKind.reply, sequence: 7, nodeName: 'node-2' });
  });

  it("on [::] (the chart's listenAddress) answers IPv6 and, dual-stack, IPv4 probes over UDP and TCP", async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort, tcpPort } = await responder.listen('::', 0);
    for (const host of ['127.0.0.1', '::1']) {
      expect(decodeProbe(await udpExchange(udpPort, request(3, 200), host)), host).toMatchObject({ kind: probeKind.reply, sequence: 3 });
      const frame = request(4, 100);
      expect(decodeProbe(await tcpExchange(tcpPort, [frame], host)), host).toMatchObject({ kind: probeKind.reply, sequence: 4 });
    }
  });

  it('ignores garbage and replies, so it cannot be turned into a reflector', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    await expectNoReply(udpPort, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await expectNoReply(udpPort, encodeProbe({ kind: probeKind.reply, sequence: 1, sentAtMicros: 1, ...from }));
    expect(responder.stats.ignored).toBe(2);
    expect(responder.stats.answered).toBe(2); // only the two well-formed requests that followed
    expect(responder.drainReceipts().map((r) => r.requests)).toEqual([2]);
  });

  it('rate-limits answers but still counts what arrived', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders, peers: { ratePerSecond: 2 }, now: () => 0 });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const replies = await udpBurst(
      responder,
      udpPort,
      [0, 1, 2, 3].map((i) => request(i)),
    );
    expect(replies.map((r) => decodeProbe(r)?.sequence)).toEqual([0, 1]);
    expect(responder.stats.rateLimited).toBe(2);
    expect(responder.drainReceipts()[0]?.requests).toBe(4);
  });

  it('answers but does not count requests skipReceipt names (a via-overlay host agent leaves out the overlay ones)', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders, skipReceipt: (address) => address === '127.0.3.7' });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const fromSkipped = await udpExchange(udpPort, request(1), '127.0.3.7');
    expect(decodeProbe(fromSkipped)).toMatchObject({ kind: probeKind.reply, sequence: 1 });
    await udpExchange(udpPort, request(2));
    expect(responder.drainReceipts().map((r) => r.requests)).toEqual([1]);
    expect(responder.stats.answered).toBe(2);
  });

  it('echoes framed TCP probes, several per connection', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { tcpPort } = await responder.listen('127.0.0.1', 0);
    const reply = await tcpExchange(tcpPort, [request(3, 64), request(4)]);
    expect(decodeProbe(reply.subarray(0, 64))).toMatchObject({ kind: probeKind.reply, sequence: 3 });
    expect(decodeProbe(reply.subarray(64))).toMatchObject({ kind: probeKind.reply, sequence: 4 });
  });

  it('counts receipts per source node, network and protocol, large = at least 1000 bytes, and drains them', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort, tcpPort } = await responder.listen('127.0.0.1', 0);
    const pod3 = { nodeName: 'node-3', network: probeNetwork.pod };
    for (const [seq, size] of [
      [1, 0],
      [2, 999],
      [3, 1000],
      [4, 1472],
    ] as const)
      await udpExchange(udpPort, request(seq, size));
    await udpExchange(udpPort, request(5, 0, pod3), '127.0.3.7');
    await tcpExchange(tcpPort, [request(6)]);
    const receipts = responder.drainReceipts().map((r) => ({
      sourceNode: r.sourceNode,
      sourceNetwork: r.sourceNetwork,
      protocol: r.protocol,
      requests: r.requests,
      largeRequests: r.largeRequests,
    }));
    expect(receipts).toEqual(
      expect.arrayContaining([
        { sourceNode: 'node-2', sourceNetwork: Network.HOST, protocol: ProbeProtocol.UDP, requests: 4, largeRequests: 2 },
        { sourceNode: 'node-3', sourceNetwork: Network.POD, protocol: ProbeProtocol.UDP, requests: 1, largeRequests: 0 },
        { sourceNode: 'node-2', sourceNetwork: Network.HOST, protocol: ProbeProtocol.TCP, requests: 1, largeRequests: 0 },
      ]),
    );
    expect(receipts).toHaveLength(3);
    expect(responder.drainReceipts()).toEqual([]);
  });

  it('rate-limits per source address too', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders, peers: { perSourceRatePerSecond: 3 }, now: () => 0 });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const replies = await udpBurst(
      responder,
      udpPort,
      [0, 1, 2, 3, 4].map((i) => request(i)),
    );
    expect(replies.map((r) => decodeProbe(r)?.sequence)).toEqual([0, 1, 2]);
    expect(responder.stats.rateLimited).toBe(2);
  });

  it('is never an amplifier: every UDP and TCP reply is at most as large as its request', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort, tcpPort } = await responder.listen('127.0.0.1', 0);
    for (const size of [0, 25, 100, 999, 1000, 1472, 4000]) {
      const req = request(size, size);
      const udpReply = await udpExchange(udpPort, req);
      expect(udpReply.length).toBeLessThanOrEqual(req.length);
      const tcpReply = await tcpExchange(tcpPort, [req]);
      expect(tcpReply.length).toBeLessThanOrEqual(req.length);
    }
    // A header that claims a larger frame than it carries, or more than the maximum, gets nothing.
    const lying = request(1, 64);
    lying.writeUInt16BE(9001, 6);
    await expectNoReply(udpPort, lying);
    const closed = await new Promise<number>((resolve) => {
      let got = 0;
      const socket = connect(tcpPort, '127.0.0.1', () => socket.write(lying));
      socket.on('data', (d) => (got += d.length));
      socket.on('close', () => resolve(got));
      socket.on('error', () => undefined);
    });
    expect(closed).toBe(0);
  });

  it('caps open TCP connections per source', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders, peers: { maxConnectionsPerSource: 2 } });
    const { tcpPort } = await responder.listen('127.0.0.1', 0);
    const sockets = Array.from({ length: 4 }, () => connect(tcpPort, '127.0.0.1'));
    for (const s of sockets) s.on('error', () => undefined);
    await expect.poll(() => responder!.stats.connectionsRefused, { timeout: replyDeadlineMs }).toBe(2);
    for (const s of sockets) s.destroy();
  });

  it('keeps receipts only for peers: strangers and names claimed from the wrong address are one counter', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    await udpExchange(udpPort, request(1)); // node-2 from its own address
    await udpExchange(udpPort, request(2), '127.0.9.9'); // node-2's name from a stranger
    await udpExchange(udpPort, request(3, 0, { nodeName: 'made-up', network: probeNetwork.host })); // a peer's address, a name not in the peer set
    expect(responder.drainReceipts().map((r) => [r.sourceNode, r.requests])).toEqual([['node-2', 1]]);
    expect(responder.stats.strangerRequests).toBe(2);
  });

  it('answers a peer in full while strangers flood past their own budget', async () => {
    responder = createProbeResponder({ logger: createSilentLogger(), senders, strangers: { ratePerSecond: 5, perSourceRatePerSecond: 5 } });
    const { udpPort } = await responder.listen('127.0.0.1', 0);
    const flood = createSocket('udp4');
    await new Promise<void>((resolve) => flood.bind(0, '127.0.9.9', () => resolve()));
    for (let i = 0; i < 200; i++) flood.send(request(i, 0, { nodeName: `x-${i}`, network: probeNetwork.host }), udpPort, '127.0.0.1');
    await expect.poll(() => responder!.stats.strangerRequests, { timeout: 3000 }).toBe(200);
    flood.close();
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push(decodeProbe(await udpExchange(udpPort, request(i)))?.sequence);
    expect(replies).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(responder.stats.rateLimited).toBeGreaterThanOrEqual(190);
    expect(responder.drainReceipts().map((r) => [r.sourceNode, r.requests])).toEqual([['node-2', 10]]);
  });

  it('closes a TCP connection that completes no frame within the idle timeout, so idle strangers cannot hold slots', async () => {
    responder = createProbeResponder({
      logger: createSilentLogger(),
      senders: strangersOnly,
      idleTimeoutMs: 200,
      strangers: { maxConnections: 2, maxConnectionsPerSource: 2 },
    });
    const { tcpPort } = await responder.listen('127.0.0.1', 0);
    const idle = Array.from({ length: 2 }, () => connect(tcpPort, '127.0.0.1'));
    for (const s of idle) s.on('error', () => undefined);
    const closed = idle.map((s) => new Promise((resolve) => s.once('close', resolve)));
    // A byte now and then is not a frame: the slot is not held by trickling.
    idle[0]!.once('connect', () => idle[0]!.write(Buffer.from([0x4e])));
    await Promise.all(closed);
    expect(responder.stats.idleClosed).toBe(2);
    // The slots are free again.
    const reply = await tcpExchange(tcpPort, [request(1)]);
    expect(decodeProbe(reply)).toMatchObject({ kind: probeKind.reply, sequence: 1 });
  });

  it('gives strangers a connection pool apart from peers', async () => {
    responder = createProbeResponder({
      logger: createSilentLogger(),
      senders,
      strangers: { maxConnections: 1, maxConnectionsPerSource: 1 },
    });
    const { tcpPort } = await responder.listen('127.0.0.1', 0);
    const strangerSockets = Array.from({ length: 3 }, () => connect({ port: tcpPort, host: '127.0.0.1', localAddress: '127.0.9.9' }));
    for (const s of strangerSockets) s.on('error', () => undefined);
    await expect.poll(() => responder!.stats.connectionsRefused, { timeout: 3000 }).toBe(2);
    const reply = await tcpExchange(tcpPort, [request(5)]);
    expect(decodeProbe(reply)).toMatchObject({ kind: probeKind.reply, sequence: 5 });
    for (const s of strangerSockets) s.destroy();
  });
});
