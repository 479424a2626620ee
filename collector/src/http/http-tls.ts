// Optional TLS for the HTTP port (--http-tls-cert-file, --http-tls-key-file, and with
// --http-tls-client-ca-file client certificates required), in the manner of Prometheus'
// exporter-toolkit web config. The files are checked before use and re-read when they change;
// a bad new pair is logged and the last good one keeps serving (the gRPC port does the same).
import type { SecureContextOptions } from 'node:tls';
import { NetsentryError } from '../../../shared/src/errors.ts';
import { createFileReloader } from '../../../shared/src/file-reloader.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { checkCaBundle, checkKeyPair, type CertificateSummary } from '../../../shared/src/tls-files.ts';

export interface HttpTlsFiles {
  certFile?: string;
  keyFile?: string;
  clientCaFile?: string;
}

export interface HttpTls {
  /** What the HTTPS server starts with: the pair, and the client CA when required. */
  serverOptions: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  /** Called with a new secure context's options when the files changed and checked out. */
  onChange(listener: (options: SecureContextOptions) => void): void;
  summary: { certificate: CertificateSummary; clientCa?: CertificateSummary[] };
  close(): void;
}

/** Undefined without TLS flags; throws INVALID_CONFIG when the flags or files are wrong. */
export function createHttpTls(files: HttpTlsFiles, logger: Logger, intervalMs: number): HttpTls | undefined {
  const { certFile, keyFile, clientCaFile } = files;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new NetsentryError('INVALID_CONFIG', '--http-tls-cert-file and --http-tls-key-file go together: give both or neither');
  if (clientCaFile !== undefined && certFile === undefined)
    throw new NetsentryError('INVALID_CONFIG', '--http-tls-client-ca-file needs --http-tls-cert-file and --http-tls-key-file');
  if (certFile === undefined || keyFile === undefined) return undefined;
  const listeners = new Set<(options: SecureContextOptions) => void>();
  const reloader = createFileReloader({
    what: 'HTTP TLS files',
    paths: [certFile, keyFile, ...(clientCaFile ? [clientCaFile] : [])],
    intervalMs,
    logger: logger.child({ component: 'http-tls' }),
    parse: ([cert, key, ca]) => ({
      options: { cert: cert!, key: key!, ...(ca ? { ca } : {}) },
      summary: {
        certificate: checkKeyPair(cert!, key!, { cert: `--http-tls-cert-file ${certFile}`, key: `--http-tls-key-file ${keyFile}` }),
        ...(ca ? { clientCa: checkCaBundle(ca, `--http-tls-client-ca-file ${clientCaFile}`) } : {}),
      },
    }),
    onChange: (loaded) => {
      for (const listener of listeners) listener(loaded.options);
    },
  });
  const initial = reloader.current();
  return {
    serverOptions: { ...initial.options, requestCert: clientCaFile !== undefined, rejectUnauthorized: clientCaFile !== undefined },
    onChange: (listener) => void listeners.add(listener),
    summary: initial.summary,
    close: () => reloader.close(),
  };
}
