// Credential loading with real files from openssl: bad files are clear start-up errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../test/harness/test-pki.ts';
import { NetsentryError } from './errors.ts';
import { createChannelCredentials, createServerCredentials } from './grpc-credentials.ts';
import { createSilentLogger } from './logger.ts';

const logger = createSilentLogger();
let pki: TestPki;

beforeAll(async () => {
  pki = await createTestPki();
}, 30_000);
afterAll(async () => {
  await pki?.remove();
});

const configError = (fn: () => unknown): NetsentryError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NetsentryError);
    expect((err as NetsentryError).code).toBe('INVALID_CONFIG');
    return err as NetsentryError;
  }
  throw new Error('expected an INVALID_CONFIG error');
};

describe('createServerCredentials', () => {
  it('is plaintext without files and TLS with a matching certificate and key', () => {
    expect(createServerCredentials({}, logger).secure).toBe(false);
    const tls = createServerCredentials({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert }, logger);
    try {
      expect(tls.secure).toBe(true);
      expect(tls.summary?.identity?.subjectAltName).toContain('192.0.2.1');
      expect(tls.summary?.ca?.[0]?.subject).toBe('CN=netsentry-test-ca');
    } finally {
      tls.close();
    }
  });

  it('refuses a certificate without its key, and a client CA without TLS', () => {
    expect(configError(() => createServerCredentials({ certFile: pki.serverCert }, logger)).message).toMatch(
      /--tls-cert-file and --tls-key-file go together/,
    );
    expect(configError(() => createServerCredentials({ clientCaFile: pki.caCert }, logger)).message).toMatch(
      /--tls-client-ca-file needs --tls-cert-file/,
    );
  });

  it('names a missing file', () => {
    expect(configError(() => createServerCredentials({ certFile: `${pki.dir}/nope.crt`, keyFile: pki.serverKey }, logger)).message).toMatch(
      /nope\.crt does not exist/,
    );
  });

  it('refuses a key that belongs to another certificate', () => {
    expect(configError(() => createServerCredentials({ certFile: pki.serverCert, keyFile: pki.otherServerKey }, logger)).message).toMatch(
      /the key does not belong to the certificate \(CN=collector\)/,
    );
  });

  it('refuses files that are not PEM', async () => {
    const junk = await pki.write('junk.pem', 'not a certificate\n');
    expect(configError(() => createServerCredentials({ certFile: junk, keyFile: pki.serverKey }, logger)).message).toMatch(
      /--tls-cert-file .*junk\.pem holds no PEM certificate/,
    );
    expect(configError(() => createServerCredentials({ certFile: pki.serverCert, keyFile: junk }, logger)).message).toMatch(
      /--tls-key-file .*junk\.pem holds no usable PEM private key/,
    );
    expect(
      configError(() => createServerCredentials({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: junk }, logger)).message,
    ).toMatch(/--tls-client-ca-file .*junk\.pem holds no PEM certificate/);
  });
});

describe('createChannelCredentials', () => {
  it('is plaintext without a CA; with one it verifies, optionally against another name', () => {
    expect(createChannelCredentials({}, logger).secure).toBe(false);
    const tls = createChannelCredentials({ caFile: pki.caCert, serverName: 'collector.netsentry.test' }, logger);
    try {
      expect(tls.secure).toBe(true);
      expect(tls.channelOptions['grpc.ssl_target_name_override']).toBe('collector.netsentry.test');
    } finally {
      tls.close();
    }
  });

  it('refuses a client certificate or a server name without a CA', () => {
    expect(configError(() => createChannelCredentials({ certFile: pki.clientCert, keyFile: pki.clientKey }, logger)).message).toMatch(
      /--tls-cert-file needs --tls-ca-file/,
    );
    expect(configError(() => createChannelCredentials({ serverName: 'x' }, logger)).message).toMatch(
      /--tls-server-name needs --tls-ca-file/,
    );
    expect(configError(() => createChannelCredentials({ caFile: pki.caCert, keyFile: pki.clientKey }, logger)).message).toMatch(
      /go together/,
    );
  });
});
