// The ingest against a real gRPC client on loopback: limits, refusals and replacement.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { connect as http2Connect, type ClientHttp2Session } from 'node:http2';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectRequestSchema, type ConnectRequest, type ConnectResponse } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { connectPath, decodeResponse, encodeRequest } from '../../../shared/src/wire.ts';
import { createClusterModel } from '../model/cluster-model.ts';
import { hostHello } from '../../../test/fixtures/cluster-fixtures.ts';
import { createIngestServer, peerSetWaveDelayMs, type IngestServer, type IngestServerOptions } from './ingest-server.ts';

let server: IngestServer | undefined;
let clients: grpc.Client[] = [];
let sessions: ClientHttp2Session[] = [];
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  for (const s of sessions) s.destroy();
  sessions = [];
  await server?.shutdown(200);
  server = undefined;
});

async function start(overrides: Partial<IngestServerOptions> = {}) {
  const reasons: string[] = [];
  const budgets: string[] = [];
  const peerSetBytes = { full: 0, delta: 0 };
  const model = createClusterModel({ now: Date.now, nodeExpiryMs: 600_000 });
  server = createIngestServer({
    model,
    metrics: {
      streamError: (r) => reasons.push(r),
      agentConnected: () => undefined,
      agentRestarted: () => undefined,
      messageReceived: () => undefined,
      observeProbeBatch: () => undefined,
      peerSetSent: (kind, bytes) => void (peerSetBytes[kind] += bytes),
      budgetExceeded: (b) => budgets.push(b),
    },
    logger: createSilentLogger(),
    heartbeatIntervalSeconds: 5,
    reportIntervalSeconds: 30,
    peerSetDebounceMs: 10,
    helloTimeoutMs: 2_000,
    ...overrides,
  });
  const port = await server.listen('127.0.0.1', 0);
  return { port, reasons, budgets, model, peerSetBytes };
}

interface Opened {
  call: grpc.ClientDuplexStream<unknown, ConnectResponse>;
  status: Promise<grpc.StatusObject>;
  welcomed: Promise<boolean>;
}

function open(port: number, serialize: (m: never) => Buffer = encodeRequest as never): Opened {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  clients.push(client);
  const call = client.makeBidiStreamRequest(connectPath, serialize, decodeResponse);
  const welcomed = new Promise<boolean>((resolve) => {
    call.on('data', (m: ConnectResponse) => m.payload.case === 'welcome' && resolve(true));
    call.on('status', () => resolve(false));
  });
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined);
  return { call: call as never, status, welcomed };
}

const hello = (node: string, extra: Partial<Parameters<typeof hostHello>[1]> = {}): ConnectRequest =>
  create(ConnectRequestSchema, { payload: { case: 'hello', value: hostHello(node, extra) } });
const heartbeat = (): ConnectRequest => create(ConnectRequestSchema, { payload: { case: 'heartbeat', value: { sentAtUnixMs: 1n } } });

describe('ingest server', () => {
  it('refuses a message above the receive limit with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const { port, reasons } = await start({ maxReceiveBytes: 64 * 1024 });
    const big = open(port);
    big.call.write(hello('node-1', { agentVersion: 'x'.repeat(128 * 1024) }));
    expect((await big.status).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(reasons).toContain('message_too_large');
    const good = open(port);
    good.call.write(hello('node-2'));
    expect(await good.welcomed).toBe(true);
  });

  it('caps open streams per peer address with RESOURCE_EXHAUSTED', async () => {
    const { port, reasons } = await start({ maxStreamsPerPeer: 2 });
    const a = open(port);
    const b = open(port);
    a.call.write(hello('node-1'));
    b.call.write(hello('node-2'));
    expect(await a.welcomed).toBe(true);
    expect(await b.welcomed).toBe(true);
    const c = open(port);
    c.call.write(hello('node-3'));
    const status = await c.status;
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/more than 2 open agent streams from 127\.0\.0\.1/);
    expect(reasons).toEqual(['too_many_streams']);
  });

  it('closes a stream that exceeds its message rate with RESOURCE_EXHAUSTED', async () => {
    const { port, reasons } = await start({ messagesPerSecond: 1 });
    const a = open(port);
    a.call.write(hello('node-1'));
    expect(await a.welcomed).toBe(true);
    for (let i = 0; i < 30; i++) a.call.write(heartbeat());
    const status = await a.status;
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(reasons).toEqual(['rate_limited']);
  });

  it('lets a second agent for the same node and network replace the first', async () => {
    const { port, reasons, model } = await start();
    const first = open(port);
    first.call.write(hello('node-1', { instanceId: 'a' }));
    expect(await first.welcomed).toBe(true);
    const second = open(port);
    second.call.write(hello('node-1', { instanceId: 'b' }));
    expect(await second.welcomed).toBe(true);
    expect((await first.status).code).toBe(grpc.status.ABORTED);
    expect(reasons).toEqual(['replaced']);
    // The first stream's close is handled after its status reaches the client: wait for the model.
    await expect
      .poll(() => model.snapshot().nodes[0]?.hostAgent, { timeout: 5_000 })
      .toMatchObject({ connected: true, restarts: 1, hello: { instanceId: 'b' } });
  });

  it('survives bytes that are not a ConnectRequest and a hello that fails validation', async () => {
    const { port, reasons } = await start();
    const garbage = open(port, ((b: Buffer) => b) as never);
    garbage.call.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x00]) as never);
    expect((await garbage.status).code).toBe(grpc.status.INTERNAL);
    expect(reasons).toEqual(['undecodable_message']);
    const bad = open(port);
    bad.call.write(hello('Node_1!'));
    expect((await bad.status).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(reasons).toContain('invalid_hello');
    const good = open(port);
    good.call.write(hello('node-2'));
    expect(await good.welcomed).toBe(true);
  });

  it('sends a delta-accepting agent a full set first and deltas after; an older agent full sets only', async () => {
    const { port, peerSetBytes, model } = await start();
    // Known nodes without streams, so a one-peer delta is smaller than the full set.
    for (const node of ['node-7', 'node-8', 'node-9']) model.agentConnected(hostHello(node), { connectionId: node, peerAddress: 'x' });
    const received = (opened: Opened): ConnectResponse[] => {
      const messages: ConnectResponse[] = [];
      opened.call.on('data', (m: ConnectResponse) => void messages.push(m));
      return messages;
    };
    const modern = open(port);
    const modernMessages = received(modern);
    modern.call.write(hello('node-1', { acceptsPeerSetDeltas: true }));
    expect(await modern.welcomed).toBe(true);
    const legacy = open(port);
    const legacyMessages = received(legacy);
    legacy.call.write(hello('node-2'));
    expect(await legacy.welcomed).toBe(true);
    const peerMessages = (messages: ConnectResponse[]) => messages.filter((m) => m.payload.case !== 'welcome');
    // node-2's join reaches node-1 in a wave; then node-3 joins.
    await expect.poll(() => peerMessages(modernMessages).length, { timeout: 5_000, interval: 20 }).toBe(2);
    const joiner = open(port);
    joiner.call.write(hello('node-3'));
    await expect.poll(() => peerMessages(modernMessages).length, { timeout: 5_000, interval: 20 }).toBe(3);
    await expect.poll(() => peerMessages(legacyMessages).length, { timeout: 5_000, interval: 20 }).toBe(2);

    const [first, ...later] = peerMessages(modernMessages);
    expect(first!.payload.case).toBe('peerSet');
    expect(later.map((m) => m.payload.case)).toEqual(['peerSetDelta', 'peerSetDelta']);
    const last = later.at(-1)!;
    expect(last.payload.case === 'peerSetDelta' && last.payload.value.upserted.map((p) => p.nodeName)).toEqual(['node-3']);
    expect(last.payload.case === 'peerSetDelta' && last.payload.value.baseGeneration).toBe(
      (later[0]!.payload.value as { generation: bigint }).generation,
    );
    expect(peerMessages(legacyMessages).map((m) => m.payload.case)).toEqual(['peerSet', 'peerSet']);
    const legacyLast = peerMessages(legacyMessages).at(-1)!;
    expect(legacyLast.payload.case === 'peerSet' && legacyLast.payload.value.peers.map((p) => p.nodeName)).toEqual([
      'node-1',
      'node-3',
      'node-7',
      'node-8',
      'node-9',
    ]);
    expect(peerSetBytes.full).toBeGreaterThan(0);
    expect(peerSetBytes.delta).toBeGreaterThan(0);
  });

  it('refuses a hello for a new node beyond --max-nodes with RESOURCE_EXHAUSTED and a clear message; known nodes still connect', async () => {
    const { port, reasons, budgets } = await start({ budgets: { maxNodes: 2 } });
    for (const node of ['node-1', 'node-2']) {
      const a = open(port);
      a.call.write(hello(node));
      expect(await a.welcomed).toBe(true);
    }
    const third = open(port);
    third.call.write(hello('made-up-1'));
    const status = await third.status;
    expect(status.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(status.details).toMatch(/maximum of 2 nodes \(--max-nodes\)/);
    expect(reasons).toContain('over_budget');
    expect(budgets).toEqual(['nodes']);
    // A known node's pod agent (or a reconnect) is not a new node.
    const pod = open(port);
    pod.call.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: { ...hostHello('node-1'), network: 2 } } }));
    expect(await pod.welcomed).toBe(true);
  });

  it('refuses hellos beyond --hellos-per-second', async () => {
    const { port, budgets } = await start({ budgets: { hellosPerSecond: 1 } });
    const results = [];
    for (let i = 0; i < 7; i++) {
      const a = open(port);
      a.call.write(hello(`node-${i}`));
      results.push(await a.welcomed);
    }
    // Bursts of 5 s worth pass.
    expect(results.filter(Boolean).length).toBeGreaterThanOrEqual(5);
    expect(results.filter(Boolean).length).toBeLessThanOrEqual(6);
    expect(budgets).toContain('hellos');
  });

  it('drops receipts beyond the per-batch cap and keeps the stream: the agent cannot control who probes it', async () => {
    const { port, reasons, budgets, model } = await start();
    const a = open(port);
    a.call.write(hello('node-1'));
    expect(await a.welcomed).toBe(true);
    const receipts = Array.from({ length: 12_000 }, (_, i) => ({ sourceNode: `x-${i}`, sourceNetwork: 1, protocol: 1, requests: 1 }));
    a.call.write(create(ConnectRequestSchema, { payload: { case: 'probeBatch', value: { receipts, intervalSeconds: 5 } } }));
    a.call.write(heartbeat());
    await expect.poll(() => budgets).toEqual(['probe_receipts']);
    expect(reasons).toEqual([]);
    expect(model.snapshot().nodes[0]?.hostAgent?.connected).toBe(true);
  });

  it('drops a report that would exceed --max-report-bytes, keeps the previous one and the stream', async () => {
    const { port, reasons, budgets, model } = await start({ budgets: { maxReportBytes: 400 } });
    const a = open(port);
    a.call.write(hello('node-1'));
    expect(await a.welcomed).toBe(true);
    const report = (peers: number) =>
      create(ConnectRequestSchema, {
        payload: {
          case: 'nodeReport',
          value: {
            observedAtUnixMs: 1n,
            overlay: {
              kind: 2,
              peersChecked: peers,
              peersOk: 0,
              problems: Array.from({ length: peers }, (_, i) => ({
                peer: `node-${i + 2}`,
                parts: [{ part: 1, problem: 1, expected: 'route', actual: '' }],
              })),
            },
          },
        },
      });
    a.call.write(report(2));
    await expect.poll(() => model.snapshot().nodes[0]?.hostAgent?.report?.overlay?.peersChecked).toBe(2);
    a.call.write(report(40));
    a.call.write(heartbeat());
    await expect.poll(() => budgets).toEqual(['report_bytes']);
    expect(model.snapshot().nodes[0]?.hostAgent?.report?.overlay?.peersChecked).toBe(2);
    expect(reasons).toEqual([]);
  });

  it("keeps the first 100 problem peers of an older agent's long report, with counts over all of them", async () => {
    const { port, budgets, model, reasons } = await start();
    const a = open(port);
    a.call.write(hello('node-1'));
    expect(await a.welcomed).toBe(true);
    const problems = Array.from({ length: 300 }, (_, i) => ({
      peer: `node-${i + 2}`,
      parts: [{ part: 1, problem: 1, expected: 'route', actual: '' }],
    }));
    a.call.write(
      create(ConnectRequestSchema, {
        payload: { case: 'nodeReport', value: { observedAtUnixMs: 1n, overlay: { kind: 2, peersChecked: 300, peersOk: 0, problems } } },
      }),
    );
    await expect.poll(() => model.snapshot().nodes[0]?.hostAgent?.report?.overlay?.problems.length).toBe(100);
    const overlay = model.snapshot().nodes[0]!.hostAgent!.report!.overlay!;
    expect(overlay.partCounts.map((c) => c.peers)).toEqual([300]);
    expect(budgets).toEqual(['report_peers']);
    expect(reasons).toEqual([]);
  });
});

/**
 * An agent that says hello over plain HTTP/2 and then reads nothing until told to: the
 * collector's writes to it stop at the stream's 64 KiB flow-control window.
 */
function openSlowReader(port: number, node: string) {
  const session = http2Connect(`http://127.0.0.1:${port}`);
  sessions.push(session);
  const stream = session.request({ ':method': 'POST', ':path': connectPath, 'content-type': 'application/grpc', te: 'trailers' });
  const body = encodeRequest(hello(node));
  const frame = Buffer.alloc(5 + body.length);
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, 5);
  stream.write(frame);
  const received: ConnectResponse['payload']['case'][] = [];
  let pending = Buffer.alloc(0);
  return {
    received,
    read: () =>
      stream.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
          const length = pending.readUInt32BE(1);
          received.push(decodeResponse(pending.subarray(5, 5 + length)).payload.case);
          pending = pending.subarray(5 + length);
        }
      }),
  };
}

describe('ingest server peer-set pushes', () => {
  it('holds at most its in-flight budget of peer sets for agents that do not read; the rest follow once the sets are out', async () => {
    // 1,500 nodes known already: a host agent's full set is ~3,000 peers, far over one stream's 64 KiB window.
    const { port, model } = await start({ maxPeerSetBytesInFlight: 100_000 });
    for (let i = 0; i < 1_500; i++) model.agentConnected(hostHello(`known-${i}`), { connectionId: `c-${i}`, peerAddress: 'x' });
    const first = openSlowReader(port, 'reader-0');
    await expect.poll(() => server!.peerSetBytesInFlight()).toBeGreaterThan(100_000);
    const held = server!.peerSetBytesInFlight();
    const others = [openSlowReader(port, 'reader-1'), openSlowReader(port, 'reader-2')];
    await expect.poll(() => server!.connectedStreams()).toBe(3);
    // Their sets wait in the collector's model, not in its buffers: one set is all it holds.
    expect(server!.peerSetBytesInFlight()).toBe(held);
    first.read();
    for (const agent of others) agent.read();
    // Each gets its welcome and then its full set (reader-0 also the deltas for the other two).
    for (const agent of [first, ...others])
      await expect.poll(() => agent.received.slice(0, 2), { timeout: 10_000 }).toEqual(['welcome', 'peerSet']);
    await expect.poll(() => server!.peerSetBytesInFlight()).toBe(0);
  });
});

describe('peer-set wave spacing', () => {
  it('waits the debounce in a small cluster, and longer as waves get slow or the streams many', () => {
    expect(peerSetWaveDelayMs({ debounceMs: 200, lastWaveMs: 1, streams: 8 })).toBe(200);
    expect(peerSetWaveDelayMs({ debounceMs: 200, lastWaveMs: 100, streams: 8 })).toBe(300);
    // A rollout of 10,000 agents: one wave per 2.5 s, not one per debounce to every agent.
    expect(peerSetWaveDelayMs({ debounceMs: 200, lastWaveMs: 50, streams: 10_000 })).toBe(2_500);
  });
});
