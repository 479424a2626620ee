// stop() says goodbye: the collector sees the agent's half-close before the stream goes, and
// closes the call; a collector that never closes it does not hold the agent's shutdown.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConnectResponseSchema,
  HelloSchema,
  type ConnectRequest,
  type ConnectResponse,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { collectorServiceDefinition } from '../../../shared/src/wire.ts';
import { createUplink } from './uplink.ts';

let server: grpc.Server | undefined;
afterEach(() => server?.forceShutdown());

const welcome = (): ConnectResponse =>
  create(ConnectResponseSchema, { payload: { case: 'welcome', value: { heartbeatIntervalSeconds: 5, reportIntervalSeconds: 30 } } });

/** A collector that welcomes every hello; `closeOnEnd` decides whether it answers a half-close. */
async function startCollector(closeOnEnd: boolean): Promise<{ port: number; events: string[] }> {
  const events: string[] = [];
  server = new grpc.Server();
  server.addService(collectorServiceDefinition, {
    connect: (call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
      call.on('data', (m: ConnectRequest) => {
        if (m.payload.case === 'hello') call.write(welcome());
      });
      call.on('end', () => {
        events.push('end');
        if (closeOnEnd) call.end();
      });
      call.on('cancelled', () => events.push('cancelled'));
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, events };
}

async function connectedUplink(port: number) {
  const uplink = createUplink({
    target: `127.0.0.1:${port}`,
    logger: createSilentLogger(),
    hello: () => create(HelloSchema, { nodeName: 'node-1' }),
    onWelcome: () => {},
    onPeerSet: () => {},
  });
  uplink.start();
  await expect.poll(() => uplink.connected, { timeout: 5_000, interval: 20 }).toBe(true);
  return uplink;
}

describe('uplink stop', () => {
  it('half-closes and waits for the collector to close the call', async () => {
    const { port, events } = await startCollector(true);
    const uplink = await connectedUplink(port);
    const started = performance.now();
    await uplink.stop();
    // grpc-js reports every closed stream as 'cancelled' afterwards; what matters is that the
    // half-close came first and stop() returned on the collector's answer, not its grace.
    expect(events[0]).toBe('end');
    expect(performance.now() - started).toBeLessThan(900);
    expect(uplink.connected).toBe(false);
  });

  it('gives up on a collector that never closes the call, within its grace', async () => {
    const { port, events } = await startCollector(false);
    const uplink = await connectedUplink(port);
    const started = performance.now();
    await uplink.stop();
    const tookMs = performance.now() - started;
    expect(events[0]).toBe('end');
    expect(tookMs).toBeGreaterThanOrEqual(900);
    expect(tookMs).toBeLessThan(5_000);
  });
});
