// Builds the gRPC transport credentials both binaries use from the TLS flags: the collector's
// server certificate (and the CA for client certificates), the agent's CA (and its client
// certificate). Certificate files are re-read when they change (see certificate-provider.ts).
import * as grpc from '@grpc/grpc-js';
import { createCertificateProvider } from './certificate-provider.ts';
import { NetsentryError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { CertificateSummary } from './tls-files.ts';

/** How often certificate and token files are re-read. Kubernetes updates mounted Secrets within about a minute. */
export const credentialReloadIntervalMs = 5_000;

export interface TransportCredentials<C> {
  credentials: C;
  secure: boolean;
  /** For the start-up log line: what was loaded. */
  summary: { identity?: CertificateSummary; ca?: CertificateSummary[] } | undefined;
  close(): void;
}

const invalid = (message: string): never => {
  throw new NetsentryError('INVALID_CONFIG', message);
};

export interface ServerTlsOptions {
  certFile?: string;
  keyFile?: string;
  /** Require client certificates signed by this CA (mutual TLS). */
  clientCaFile?: string;
}

export function createServerCredentials(
  tls: ServerTlsOptions,
  logger: Logger,
  intervalMs = credentialReloadIntervalMs,
): TransportCredentials<grpc.ServerCredentials> {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    invalid('--tls-cert-file and --tls-key-file go together: give both or neither');
  if (tls.clientCaFile !== undefined && tls.certFile === undefined)
    invalid('--tls-client-ca-file needs --tls-cert-file and --tls-key-file (mutual TLS runs over TLS)');
  if (tls.certFile === undefined)
    return { credentials: grpc.ServerCredentials.createInsecure(), secure: false, summary: undefined, close: () => {} };
  const provider = createCertificateProvider({
    files: {
      certFile: tls.certFile,
      keyFile: tls.keyFile,
      caFile: tls.clientCaFile,
      flags: { cert: '--tls-cert-file', key: '--tls-key-file', ca: '--tls-client-ca-file' },
    },
    what: 'collector TLS files',
    intervalMs,
    logger: logger.child({ component: 'tls' }),
  });
  // grpc-js: the first argument is the identity provider, the second the CA provider (or null).
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(
    provider,
    tls.clientCaFile ? provider : null,
    tls.clientCaFile !== undefined,
  );
  return { credentials, secure: true, summary: provider.describe(), close: provider.close };
}

export interface ChannelTlsOptions {
  /** Verify the collector with this CA; absent = plaintext. */
  caFile?: string;
  /** Name to verify the collector's certificate against (and send as SNI) instead of the target host. */
  serverName?: string;
  certFile?: string;
  keyFile?: string;
}

export function createChannelCredentials(
  tls: ChannelTlsOptions,
  logger: Logger,
  intervalMs = credentialReloadIntervalMs,
): TransportCredentials<grpc.ChannelCredentials> & { channelOptions: grpc.ChannelOptions } {
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    invalid('--tls-cert-file and --tls-key-file go together: give both or neither');
  if (tls.caFile === undefined) {
    if (tls.certFile !== undefined) invalid('--tls-cert-file needs --tls-ca-file (a client certificate is only sent over TLS)');
    if (tls.serverName !== undefined) invalid('--tls-server-name needs --tls-ca-file');
    return { credentials: grpc.credentials.createInsecure(), channelOptions: {}, secure: false, summary: undefined, close: () => {} };
  }
  const provider = createCertificateProvider({
    files: {
      caFile: tls.caFile,
      certFile: tls.certFile,
      keyFile: tls.keyFile,
      flags: { cert: '--tls-cert-file', key: '--tls-key-file', ca: '--tls-ca-file' },
    },
    what: 'agent TLS files',
    intervalMs,
    logger: logger.child({ component: 'tls' }),
  });
  const credentials = grpc.experimental.createCertificateProviderChannelCredentials(provider, tls.certFile ? provider : null);
  const channelOptions: grpc.ChannelOptions = tls.serverName
    ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }
    : {};
  return { credentials, channelOptions, secure: true, summary: provider.describe(), close: provider.close };
}
