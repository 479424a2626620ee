// The ingest's target handling against a real gRPC client on loopback: pod agents get the
// target set after the welcome and on every change, host agents never; batches are stored,
// and a batch beyond the bound closes the stream with INVALID_ARGUMENT.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectRequestSchema, type ConnectResponse } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { TargetBatchSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { connectPath, decodeResponse, encodeRequest } from '../../../shared/src/wire.ts';
import { hostHello, podHello } from '../../../test/fixtures/cluster-fixtures.ts';
import { createClusterModel } from '../model/cluster-model.ts';
import { createStaticTargetSetSource } from '../targets/target-set-source.ts';
import { createTargetStore } from '../targets/target-store.ts';
import type { TargetSpec } from '../targets/targets-file.ts';
import { createIngestServer, type IngestServer } from './ingest-server.ts';

const web: TargetSpec = { name: 'default/web', protocol: 'tcp', address: '198.19.0.10:80', endpoints: ['198.18.1.5:8080'], query: '' };
let server: IngestServer | undefined;
const clients: grpc.Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.shutdown(200);
});

async function start() {
  const reasons: string[] = [];
  const source = createStaticTargetSetSource([web]);
  const store = createTargetStore([web]);
  server = createIngestServer({
    model: createClusterModel({ now: Date.now, nodeExpiryMs: 600_000 }),
    metrics: {
      streamError: (r) => reasons.push(r),
      agentConnected: () => undefined,
      agentRestarted: () => undefined,
      messageReceived: () => undefined,
      observeProbeBatch: () => undefined,
    },
    logger: createSilentLogger(),
    heartbeatIntervalSeconds: 5,
    reportIntervalSeconds: 30,
    peerSetDebounceMs: 10,
    helloTimeoutMs: 2_000,
    targets: {
      current: source.current,
      onChange: source.onChange,
      ingest: (node, instanceId, batch) => store.ingest(node, instanceId, batch, Date.now()),
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  return { port, reasons, source, store };
}

function open(port: number, hello: ReturnType<typeof hostHello>) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  clients.push(client);
  const call = client.makeBidiStreamRequest(connectPath, encodeRequest, decodeResponse);
  const received: ConnectResponse[] = [];
  call.on('data', (m: ConnectResponse) => received.push(m));
  call.on('error', () => undefined);
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: hello } }));
  const targetSets = () => received.flatMap((m) => (m.payload.case === 'targetSet' ? [m.payload.value] : []));
  return { call, received, status, targetSets };
}

const until = (what: string, check: () => boolean) => expect.poll(check, { message: `waiting for ${what}`, timeout: 5_000 }).toBe(true);

describe('ingest: targets', () => {
  it('sends the set to pod agents after the welcome and again on change; host agents get none', async () => {
    const { port, source } = await start();
    const pod = open(port, podHello('node-1'));
    const host = open(port, hostHello('node-2'));
    await until("the pod agent's set", () => pod.targetSets().length === 1);
    expect(pod.received[0]!.payload.case).toBe('welcome');
    expect(pod.targetSets()[0]!.targets.map((t) => t.address)).toEqual(['198.19.0.10:80']);
    source.set([{ ...web, endpoints: ['198.18.1.5:8080', '198.18.2.5:8080'] }]);
    await until('the changed set', () => pod.targetSets().length === 2);
    expect(pod.targetSets()[1]!.generation).toBeGreaterThan(pod.targetSets()[0]!.generation);
    await until("the host agent's welcome", () => host.received.some((m) => m.payload.case === 'welcome'));
    expect(host.targetSets()).toEqual([]);
  });

  it("stores a pod agent's batch and closes a stream that sends more than the bound", async () => {
    const { port, store, reasons } = await start();
    const pod = open(port, podHello('node-1'));
    await until('the set', () => pod.targetSets().length === 1);
    pod.call.write(
      create(ConnectRequestSchema, {
        payload: {
          case: 'targetBatch',
          value: create(TargetBatchSchema, { results: [{ target: web.name, address: web.address, ok: true }] }),
        },
      }),
    );
    await until('the stored result', () => store.size === 1);
    const results = Array.from({ length: 2049 }, () => ({ target: web.name, address: web.address, ok: true }));
    pod.call.write(create(ConnectRequestSchema, { payload: { case: 'targetBatch', value: create(TargetBatchSchema, { results }) } }));
    expect((await pod.status).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(reasons).toContain('invalid_target_batch');
  });
});
