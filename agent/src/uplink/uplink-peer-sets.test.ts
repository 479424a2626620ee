// The uplink against a scripted collector over real gRPC: deltas are applied on top of the
// held set; one that does not apply is never guessed at: the stream ends and the reconnect
// brings a full set, while the agent keeps the set it had.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectResponseSchema,
  HelloSchema,
  type ConnectRequest,
  type ConnectResponse,
  type PeerSet,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { collectorServiceDefinition } from '../../../shared/src/wire.ts';
import { createUplink, type Uplink } from './uplink.ts';

let server: grpc.Server | undefined;
let uplink: Uplink | undefined;
afterEach(async () => {
  await uplink?.stop();
  server?.forceShutdown();
});

const peer = (nodeName: string) => ({ nodeName, network: Network.HOST, nodeIp: '192.0.2.20', probeAddress: '192.0.2.20', probePort: 7946 });
const welcome = (): ConnectResponse =>
  create(ConnectResponseSchema, { payload: { case: 'welcome', value: { heartbeatIntervalSeconds: 5, reportIntervalSeconds: 30 } } });
const full = (generation: bigint, names: string[]): ConnectResponse =>
  create(ConnectResponseSchema, { payload: { case: 'peerSet', value: { generation, peers: names.map(peer) } } });
const delta = (baseGeneration: bigint, generation: bigint, upserted: string[], removed: string[] = []): ConnectResponse =>
  create(ConnectResponseSchema, {
    payload: {
      case: 'peerSetDelta',
      value: {
        baseGeneration,
        generation,
        upserted: upserted.map(peer),
        removed: removed.map((nodeName) => ({ nodeName, network: Network.HOST })),
      },
    },
  });

describe('uplink peer sets', () => {
  it('applies deltas, and on one that does not apply keeps its set, logs, reconnects and takes the new full set', async () => {
    const hellos: boolean[] = [];
    server = new grpc.Server();
    server.addService(collectorServiceDefinition, {
      connect: (call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
        call.on('error', () => {});
        call.on('data', (m: ConnectRequest) => {
          if (m.payload.case !== 'hello') return;
          hellos.push(m.payload.value.acceptsPeerSetDeltas);
          call.write(welcome());
          if (hellos.length === 1) {
            call.write(full(5n, ['node-2', 'node-3']));
            call.write(delta(5n, 6n, ['node-4'], ['node-3']));
            call.write(delta(9n, 10n, ['node-9'])); // a generation the agent never had
            call.write(delta(10n, 11n, ['node-10'])); // after the mismatch: ignored
          } else {
            call.write(full(11n, ['node-2', 'node-4', 'node-9', 'node-10']));
          }
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const warnings: string[] = [];
    const logger = createSilentLogger();
    logger.child = (() => logger) as unknown as typeof logger.child;
    logger.warn = ((_obj: unknown, msg?: string) => void warnings.push(msg ?? '')) as typeof logger.warn;
    const sets: PeerSet[] = [];
    uplink = createUplink({
      target: `127.0.0.1:${port}`,
      logger,
      hello: () => create(HelloSchema, { nodeName: 'node-1' }),
      onWelcome: () => {},
      onPeerSet: (set) => void sets.push(set),
      initialBackoffMs: 50,
      maxBackoffMs: 100,
    });
    uplink.start();
    await expect.poll(() => sets.length, { timeout: 10_000, interval: 20 }).toBe(3);
    expect(sets.map((s) => [s.generation, s.peers.map((p) => p.nodeName)])).toEqual([
      [5n, ['node-2', 'node-3']],
      [6n, ['node-2', 'node-4']],
      [11n, ['node-2', 'node-4', 'node-9', 'node-10']],
    ]);
    expect(hellos).toEqual([true, true]);
    expect(warnings).toContain('peer-set delta does not apply; reconnecting for a full set');
  });
});
