// The transport end to end on loopback with real grpc-js, real TLS and openssl-made
// certificates: the collector's ingest transport on one side, the agent's uplink transport on
// the other. (The lab e2e, test/e2e/agent-identity.test.ts, runs the real processes.)
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { copyFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../test/harness/test-pki.ts';
import { createUplinkTransport, type UplinkTransportOptions } from '../../../agent/src/uplink/uplink-transport.ts';
import { classifyStreamFailure } from '../../../agent/src/uplink/stream-failure.ts';
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  type ConnectRequest,
  type ConnectResponse,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createLogger, createSilentLogger } from '../../../shared/src/logger.ts';
import { collectorServiceDefinition, connectPath, decodeResponse, encodeRequest } from '../../../shared/src/wire.ts';
import { createIngestTransport, type IngestTransportOptions } from './ingest-transport.ts';

const logger = createSilentLogger();
const tokenA = 'token-a-0123456789abcdef';
const tokenB = 'token-b-0123456789abcdef';
let pki: TestPki;
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  pki = await createTestPki();
}, 30_000);
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
afterAll(async () => {
  await pki?.remove();
});

interface Served {
  port: number;
  refused: string[];
  handled: () => number;
}

async function serve(options: Partial<IngestTransportOptions>): Promise<Served> {
  const refused: string[] = [];
  const transport = createIngestTransport({
    maxConnectionAgeMs: 0,
    maxConnectionAgeGraceMs: 0,
    logger,
    streamError: (r) => refused.push(r),
    reloadIntervalMs: 50,
    ...options,
  });
  const server = new grpc.Server({ ...transport.serverOptions, interceptors: transport.interceptors });
  let handled = 0;
  server.addService(collectorServiceDefinition, {
    connect: (call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
      handled++;
      call.on('data', () =>
        call.write(create(ConnectResponseSchema, { payload: { case: 'welcome', value: { collectorVersion: 'test' } } })),
      );
      call.on('error', () => {});
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', transport.credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => {
    server.forceShutdown();
    transport.close();
  });
  return { port, refused, handled: () => handled };
}

/** One stream: resolves 'welcome' when the server answered, else the status it ended with. */
async function attempt(port: number, options: Omit<UplinkTransportOptions, 'logger'>): Promise<'welcome' | grpc.StatusObject> {
  const transport = createUplinkTransport({ ...options, logger, reloadIntervalMs: 50 });
  const client = new grpc.Client(`127.0.0.1:${port}`, transport.credentials, transport.channelOptions);
  try {
    return await new Promise((resolve) => {
      const stream = client.makeBidiStreamRequest(connectPath, encodeRequest, decodeResponse, transport.metadata());
      stream.on('data', () => {
        resolve('welcome');
        stream.cancel();
      });
      stream.on('status', resolve);
      stream.on('error', () => {});
      stream.write(create(ConnectRequestSchema, { payload: { case: 'heartbeat', value: {} } }));
    });
  } finally {
    client.close();
    transport.close();
  }
}

const tls = (ca = pki.caCert) => ({ tlsCaFile: ca, tlsServerName: 'collector.netsentry.test' });

describe('collector and agent transports over loopback', () => {
  it('lets an agent with the right CA and token in', async () => {
    const tokens = await pki.write('tokens-ok', `${tokenA}\n`);
    const served = await serve({ tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, authTokenFile: tokens });
    expect(await attempt(served.port, { ...tls(), authTokenFile: tokens })).toBe('welcome');
    expect(served.refused).toEqual([]);
  });

  it('refuses a wrong or a missing token with UNAUTHENTICATED before the handler runs, and counts it', async () => {
    const tokens = await pki.write('tokens-a', `${tokenA}\n`);
    const wrong = await pki.write('tokens-b', `${tokenB}\n`);
    const served = await serve({ tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, authTokenFile: tokens });
    for (const authTokenFile of [wrong, undefined]) {
      const status = await attempt(served.port, { ...tls(), authTokenFile });
      expect(status).toMatchObject({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
    }
    expect(served.refused).toEqual(['unauthenticated', 'unauthenticated']);
    expect(served.handled()).toBe(0);
  });

  it('fails clearly when the agent trusts another CA', async () => {
    const served = await serve({ tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey });
    const status = await attempt(served.port, tls(pki.otherCaCert));
    expect(status).not.toBe('welcome');
    const { code, details } = status as grpc.StatusObject;
    expect(code).toBe(grpc.status.UNAVAILABLE);
    expect(classifyStreamFailure(code, details).kind).toBe('tls-verify');
  });

  it('requires a client certificate from the right CA with --tls-client-ca-file (mutual TLS)', async () => {
    const served = await serve({ tlsCertFile: pki.serverCert, tlsKeyFile: pki.serverKey, tlsClientCaFile: pki.caCert });
    expect(await attempt(served.port, tls())).not.toBe('welcome');
    expect(await attempt(served.port, { ...tls(), tlsCertFile: pki.otherServerCert, tlsKeyFile: pki.otherServerKey })).not.toBe('welcome');
    expect(await attempt(served.port, { ...tls(), tlsCertFile: pki.clientCert, tlsKeyFile: pki.clientKey })).toBe('welcome');
  });

  it('serves a rotated certificate and token without a restart, and keeps the old pair through a broken rotation', async () => {
    const cert = await pki.write('rotating.crt', '');
    const key = await pki.write('rotating.key', '');
    await copyFile(pki.serverCert, cert);
    await copyFile(pki.serverKey, key);
    const tokens = await pki.write('tokens-rotating', `${tokenA}\n`);
    const logLines: string[] = [];
    const capture = new Writable({ write: (chunk: Buffer, _encoding, done) => (logLines.push(chunk.toString()), done()) });
    const served = await serve({
      tlsCertFile: cert,
      tlsKeyFile: key,
      authTokenFile: tokens,
      logger: createLogger({ name: 'test', destination: capture }),
    });
    expect(await attempt(served.port, { ...tls(), authTokenFile: tokens })).toBe('welcome');

    // Half a rotation (new certificate, old key) is refused; the old pair keeps serving.
    await copyFile(pki.otherServerCert, cert);
    await expect.poll(() => logLines.some((line) => line.includes('keeping the previous version')), { timeout: 5_000 }).toBe(true);
    expect(await attempt(served.port, { ...tls(), authTokenFile: tokens })).toBe('welcome');

    await copyFile(pki.otherServerKey, key);
    const newTokens = await pki.write('tokens-new', `${tokenB}\n`);
    await pki.write('tokens-rotating', `${tokenB}\n${tokenA}\n`);
    await expect
      .poll(async () => attempt(served.port, { ...tls(pki.otherCaCert), authTokenFile: newTokens }), { timeout: 5_000, interval: 100 })
      .toBe('welcome');
    expect(await attempt(served.port, { ...tls(), authTokenFile: newTokens })).not.toBe('welcome');
    // During the token rotation both tokens work; then the old one is dropped.
    const oldTokens = await pki.write('tokens-old', `${tokenA}\n`);
    expect(await attempt(served.port, { ...tls(pki.otherCaCert), authTokenFile: oldTokens })).toBe('welcome');
    await pki.write('tokens-rotating', `${tokenB}\n`);
    await expect
      .poll(async () => attempt(served.port, { ...tls(pki.otherCaCert), authTokenFile: oldTokens }), { timeout: 5_000, interval: 100 })
      .toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    expect(await attempt(served.port, { ...tls(pki.otherCaCert), authTokenFile: newTokens })).toBe('welcome');
  });
});
