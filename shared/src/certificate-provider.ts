// A grpc-js CertificateProvider backed by files that are re-read when they change. grpc-js
// ships FileWatcherCertificateProvider, but it hands over whatever it read: a half-written or
// mismatched pair during a rotation would make the server drop every new connection. This one
// checks the pair first and keeps serving the last good version.
import * as grpc from '@grpc/grpc-js';
import { createFileReloader, type FileReloader } from './file-reloader.ts';
import type { Logger } from './logger.ts';
import { checkCaBundle, checkKeyPair, type CertificateSummary } from './tls-files.ts';

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

export interface ReloadingCertificateProvider extends CertificateProvider {
  /** What is loaded now (for the start-up log line). */
  describe(): { identity?: CertificateSummary; ca?: CertificateSummary[] };
  close(): void;
}

export interface CertificateFiles {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
  /** Flag names for messages, e.g. { cert: '--tls-cert-file', … }. */
  flags?: { cert: string; key: string; ca: string };
}

interface Loaded {
  identity?: { certificate: Buffer; privateKey: Buffer; summary: CertificateSummary };
  ca?: { caCertificate: Buffer; summary: CertificateSummary[] };
}

/** Throws NetsentryError('INVALID_CONFIG') at start when a file is missing or wrong. */
export function createCertificateProvider(options: {
  files: CertificateFiles;
  what: string;
  intervalMs: number;
  logger: Logger;
}): ReloadingCertificateProvider {
  const { certFile, keyFile, caFile } = options.files;
  const flags = options.files.flags ?? { cert: 'certificate file', key: 'key file', ca: 'CA file' };
  const paths = [certFile, keyFile, caFile].filter((p): p is string => p !== undefined);
  const caListeners = new Set<CaListener>();
  const identityListeners = new Set<IdentityListener>();
  const reloader: FileReloader<Loaded> = createFileReloader<Loaded>({
    what: options.what,
    paths,
    intervalMs: options.intervalMs,
    logger: options.logger,
    parse: (contents) => {
      let i = 0;
      const loaded: Loaded = {};
      if (certFile && keyFile) {
        const certificate = contents[i++]!;
        const privateKey = contents[i++]!;
        loaded.identity = {
          certificate,
          privateKey,
          summary: checkKeyPair(certificate, privateKey, { cert: `${flags.cert} ${certFile}`, key: `${flags.key} ${keyFile}` }),
        };
      }
      if (caFile) {
        const caCertificate = contents[i]!;
        loaded.ca = { caCertificate, summary: checkCaBundle(caCertificate, `${flags.ca} ${caFile}`) };
      }
      return loaded;
    },
    onChange: (loaded) => {
      if (loaded.identity)
        for (const listener of identityListeners)
          listener({ certificate: loaded.identity.certificate, privateKey: loaded.identity.privateKey });
      if (loaded.ca) for (const listener of caListeners) listener({ caCertificate: loaded.ca.caCertificate });
    },
  });

  // grpc-js expects the current value right after a listener is added (asynchronously).
  return {
    addCaCertificateListener: (listener) => {
      caListeners.add(listener);
      const ca = reloader.current().ca;
      process.nextTick(listener, ca ? { caCertificate: ca.caCertificate } : null);
    },
    removeCaCertificateListener: (listener) => void caListeners.delete(listener),
    addIdentityCertificateListener: (listener) => {
      identityListeners.add(listener);
      const identity = reloader.current().identity;
      process.nextTick(listener, identity ? { certificate: identity.certificate, privateKey: identity.privateKey } : null);
    },
    removeIdentityCertificateListener: (listener) => void identityListeners.delete(listener),
    describe: () => ({ identity: reloader.current().identity?.summary, ca: reloader.current().ca?.summary }),
    close: () => reloader.close(),
  };
}
