// The Connect stream has no gRPC deadline (it is meant to live); its establishment does: a
// collector that accepts the stream but never welcomes is abandoned and retried with backoff.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { HelloSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { collectorServiceDefinition } from '../../../shared/src/wire.ts';
import { createUplink, type Uplink } from './uplink.ts';

let server: grpc.Server | undefined;
let uplink: Uplink | undefined;
afterEach(async () => {
  await uplink?.stop();
  server?.forceShutdown();
});

describe('uplink welcome deadline', () => {
  it('abandons a stream that is never welcomed and retries', async () => {
    let streams = 0;
    server = new grpc.Server();
    server.addService(collectorServiceDefinition, {
      connect: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        streams++;
        call.on('data', () => {}); // accepts the hello, never answers
        call.on('error', () => {});
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    const reasons: string[] = [];
    const logger = createSilentLogger();
    logger.child = (() => logger) as unknown as typeof logger.child;
    logger.warn = ((obj: { reason?: string }) => void reasons.push(obj.reason ?? '')) as typeof logger.warn;
    uplink = createUplink({
      target: `127.0.0.1:${port}`,
      logger,
      hello: () => create(HelloSchema, { nodeName: 'node-1' }),
      onWelcome: () => {},
      onPeerSet: () => {},
      initialBackoffMs: 50,
      maxBackoffMs: 100,
      welcomeTimeoutMs: 300,
    });
    uplink.start();
    await expect.poll(() => streams, { timeout: 5_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    expect(uplink.connected).toBe(false);
    expect(reasons[0]).toBe('no welcome from the collector within 300 ms');
  });
});
