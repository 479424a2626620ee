// Real sockets on 127.0.0.1: two responders, one prober round through the worker thread
// (in-process when this runtime cannot strip types in a worker).
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createProbeResponder, type ProbeResponder } from './probe-responder.ts';
import { createProbeRunner, type ProbeRunner } from './probe-runner.ts';
import type { PeerTarget } from './probe-types.ts';
import { probeNetwork } from './probe-wire.ts';

// Every sender counts as a peer here: this measures probing, not the responder's admission.
const anyPeer = { isPeerAddress: () => true, isSender: () => true, isOverlaySource: () => false };

const typeStripping = Boolean((process.features as { typescript?: unknown }).typescript);
const identity = { nodeName: 'node-1', network: probeNetwork.host };
let responders: ProbeResponder[] = [];
let ports: number[] = [];
let runner: ProbeRunner;

beforeAll(async () => {
  responders = [
    createProbeResponder({ logger: createSilentLogger(), senders: anyPeer }),
    createProbeResponder({ logger: createSilentLogger(), senders: anyPeer }),
  ];
  ports = await Promise.all(responders.map(async (r) => (await r.listen('127.0.0.1', 0)).udpPort));
  runner = createProbeRunner({ logger: createSilentLogger() });
});
afterAll(async () => {
  await runner.close();
  await Promise.all(responders.map((r) => r.close()));
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('prober round on 127.0.0.1', () => {
  it('probes two responders: ok results, sizes from the MTU, receipts attributed to the sender', async () => {
    const peers: PeerTarget[] = [
      { nodeName: 'node-2', network: Network.HOST, address: '127.0.0.1', port: ports[0]!, mtu: 1500 },
      { nodeName: 'node-3', network: Network.POD, address: '127.0.0.1', port: ports[1]!, mtu: 1450 },
    ];
    const results = await runner.run({ identity, peers, timeoutMs: 1000, concurrency: 2, spacingMs: 20 }, new AbortController().signal);
    expect(results).toHaveLength(2 * 6);
    // A worker that failed to load would have fallen back to inline (and lost this round).
    if (typeStripping) expect(runner.mode).toBe('worker');
    for (const r of results) expect(r).toMatchObject({ ok: true, error: '' });
    const node2 = results.filter((r) => r.targetNode === 'node-2');
    const udp = node2.filter((r) => r.protocol === ProbeProtocol.UDP);
    // small: 16-byte header + 2 + "node-1" = 24-byte payload, +8 UDP header; large: IP packet = MTU.
    expect(udp.map((r) => [r.sizeBytes, r.large])).toEqual([
      [32, false],
      [32, false],
      [32, false],
      [1480, true],
      [1480, true],
    ]);
    expect(results.filter((r) => r.targetNode === 'node-3' && r.large).map((r) => r.sizeBytes)).toEqual([1430, 1430]);
    expect(node2.find((r) => r.protocol === ProbeProtocol.TCP)).toMatchObject({ sizeBytes: 24, large: false, targetNetwork: Network.HOST });
    for (const r of results) {
      expect(r.rttSeconds).toBeGreaterThan(0);
      expect(r.rttSeconds).toBeLessThan(0.5);
      expect(r.sentAtUnixMs).toBeGreaterThan(Date.now() - 10_000);
    }

    const receipts = responders[0]!.drainReceipts().map((r) => [r.sourceNode, r.sourceNetwork, r.protocol, r.requests, r.largeRequests]);
    expect(receipts).toEqual(
      expect.arrayContaining([
        ['node-1', Network.HOST, ProbeProtocol.UDP, 5, 2],
        ['node-1', Network.HOST, ProbeProtocol.TCP, 1, 0],
      ]),
    );
    expect(receipts).toHaveLength(2);
  });

  it('a round of 1,000 targets fits the worker heap limits: no out-of-memory fallback, no lost round', async () => {
    // proberWorkerLimits caps the worker's old generation (16 MiB); a round 5× the default's
    // largest (100 peers × 2 networks) must still run in the worker. Out of memory would end the
    // worker, and the runner would answer this round with nothing and go inline.
    const peers: PeerTarget[] = Array.from({ length: 1000 }, (_, i) => ({
      nodeName: `node-${100 + i}`,
      network: i % 2 ? Network.POD : Network.HOST,
      address: '127.0.0.1',
      port: ports[i % ports.length]!,
      mtu: 1450,
    }));
    const results = await runner.run({ identity, peers, timeoutMs: 300, concurrency: 250, spacingMs: 5 }, new AbortController().signal);
    expect(results).toHaveLength(1000 * 6);
    if (typeStripping) expect(runner.mode).toBe('worker');
  }, 30_000);

  it('a closed port gives refused or timeout results, never an exception', async () => {
    const port = await freePort();
    const peers: PeerTarget[] = [{ nodeName: 'node-9', network: Network.HOST, address: '127.0.0.1', port, mtu: 1500 }];
    const results = await runner.run({ identity, peers, timeoutMs: 300, concurrency: 1, spacingMs: 10 }, new AbortController().signal);
    expect(results).toHaveLength(6);
    for (const r of results) {
      expect(r.ok).toBe(false);
      expect(['refused', 'timeout']).toContain(r.error);
    }
    expect(results.find((r) => r.protocol === ProbeProtocol.TCP)?.error).toBe('refused');
  });

  it('an aborted round comes back promptly', async () => {
    // A peer that accepts but never answers: UDP swallowed, TCP connected but silent.
    // The round is aborted once its first probe arrives, so it is provably in flight.
    const controller = new AbortController();
    let abortedAt = 0;
    // UDP takes a free port and TCP the same number, which another process may hold for TCP: try again then.
    let silentUdp!: ReturnType<typeof createSocket>;
    let silentTcp!: ReturnType<typeof createServer>;
    for (let attempt = 1; ; attempt++) {
      silentUdp = createSocket('udp4');
      silentTcp = createServer(() => {});
      await new Promise<void>((resolve) => silentUdp.bind(0, '127.0.0.1', resolve));
      const tried = silentUdp.address().port;
      const listened = await new Promise<boolean>((resolve, reject) => {
        silentTcp.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && attempt < 20 ? resolve(false) : reject(err)));
        silentTcp.listen(tried, '127.0.0.1', () => resolve(true));
      });
      if (listened) break;
      silentUdp.close();
    }
    const port = silentUdp.address().port;
    silentUdp.once('message', () => {
      abortedAt = Date.now();
      controller.abort();
    });
    const peers: PeerTarget[] = [{ nodeName: 'node-8', network: Network.HOST, address: '127.0.0.1', port, mtu: 1500 }];
    const results = await runner.run({ identity, peers, timeoutMs: 5000, concurrency: 1, spacingMs: 10 }, controller.signal);
    expect(abortedAt).toBeGreaterThan(0);
    // Well inside the 5 s probe timeout: the round did not wait its probes out.
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    expect(results.every((r) => !r.ok)).toBe(true);
    silentUdp.close();
    silentTcp.close();
  });
});
