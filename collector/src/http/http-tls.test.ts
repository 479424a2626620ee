// HTTPS on the HTTP port with real certificates (openssl): served, verified by a client with
// the CA, client certificates required when asked, and a rotated pair served without restart.
import { copyFile, readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetsentryError } from '../../../shared/src/errors.ts';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createTestPki, type TestPki } from '../../../test/harness/test-pki.ts';
import { createTestCluster } from '../../../test/fixtures/cluster-fixtures.ts';
import { defaultDetectors } from '../detectors/index.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createCollectorMetrics } from '../metrics/collector-metrics.ts';
import { buildServer } from './build-server.ts';
import { createHttpTls, type HttpTls } from './http-tls.ts';

const logger = createSilentLogger();
let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
}, 30_000);
afterAll(async () => {
  await pki?.remove();
});

async function serve(tls: HttpTls) {
  const cluster = createTestCluster();
  const findings = createFindingsEngine({ model: cluster.model, detectors: defaultDetectors(), now: cluster.clock.now, logger });
  const app = buildServer({
    model: cluster.model,
    findings,
    metrics: createCollectorMetrics({ model: cluster.model, findings }),
    logger,
    isReady: () => true,
    tls,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address ? address.port : 0 };
}

/** GET over TLS, verifying the server as collector.netsentry.test against `ca`. */
function get(port: number, path: string, options: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername: 'collector.netsentry.test', agent: false, ...options }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP TLS', () => {
  it('is off without flags, and a half-given pair or a client CA alone is a clear start-up error', () => {
    expect(createHttpTls({}, logger, 1000)).toBeUndefined();
    expect(() => createHttpTls({ certFile: pki.serverCert }, logger, 1000)).toThrow(NetsentryError);
    expect(() => createHttpTls({ clientCaFile: pki.caCert }, logger, 1000)).toThrow(/needs --http-tls-cert-file/);
    expect(() => createHttpTls({ certFile: pki.serverCert, keyFile: pki.otherServerKey }, logger, 1000)).toThrow(
      /key does not belong to the certificate/,
    );
  });

  it('serves HTTPS that a client with the CA verifies, and serves a rotated pair without a restart', async () => {
    const certFile = await pki.write('http.crt', await readFile(pki.serverCert, 'utf8'));
    const keyFile = await pki.write('http.key', await readFile(pki.serverKey, 'utf8'));
    const tls = createHttpTls({ certFile, keyFile }, logger, 50)!;
    const { app, port } = await serve(tls);
    try {
      const ca = await readFile(pki.caCert);
      expect((await get(port, '/healthz', { ca })).status).toBe(200);
      expect((await get(port, '/metrics', { ca })).status).toBe(200);
      // A client that does not trust the CA is refused by its own verification.
      await expect(get(port, '/healthz', { ca: await readFile(pki.otherCaCert) })).rejects.toThrow(
        /self-signed|unable to verify|certificate/i,
      );
      // Rotation: the files change under the running server.
      await copyFile(pki.otherServerCert, certFile);
      await copyFile(pki.otherServerKey, keyFile);
      const otherCa = await readFile(pki.otherCaCert);
      await expect
        .poll(async () => (await get(port, '/healthz', { ca: otherCa }).catch(() => ({ status: 0 }))).status, { timeout: 5_000 })
        .toBe(200);
    } finally {
      tls.close();
      await app.close();
    }
  });

  it('with a client CA, refuses a client without a certificate and serves one with', async () => {
    const tls = createHttpTls({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert }, logger, 60_000)!;
    const { app, port } = await serve(tls);
    try {
      const ca = await readFile(pki.caCert);
      await expect(get(port, '/healthz', { ca })).rejects.toThrow();
      expect((await get(port, '/healthz', { ca, cert: await readFile(pki.clientCert), key: await readFile(pki.clientKey) })).status).toBe(
        200,
      );
    } finally {
      tls.close();
      await app.close();
    }
  });
});
