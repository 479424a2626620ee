// What the agent's channel to the collector is wrapped in: TLS with the collector's CA (and
// optionally a client certificate), the bearer token as per-call metadata, keepalive.
import * as grpc from '@grpc/grpc-js';
import { authorizationHeader, bearer, parseTokenFile } from '../../../shared/src/auth-token.ts';
import { createFileReloader } from '../../../shared/src/file-reloader.ts';
import { credentialReloadIntervalMs, createChannelCredentials } from '../../../shared/src/grpc-credentials.ts';
import { clientKeepaliveOptions } from '../../../shared/src/keepalive.ts';
import type { Logger } from '../../../shared/src/logger.ts';

export interface UplinkTransport {
  credentials: grpc.ChannelCredentials;
  channelOptions: grpc.ChannelOptions;
  /** Built for every stream, so a rotated token file is picked up at the next reconnect. */
  metadata(): grpc.Metadata;
  close(): void;
}

export interface UplinkTransportOptions {
  tlsCaFile?: string;
  tlsServerName?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  authTokenFile?: string;
  logger: Logger;
  reloadIntervalMs?: number;
}

/** Throws NetsentryError('INVALID_CONFIG') when a TLS or token file is missing or wrong. */
export function createUplinkTransport(options: UplinkTransportOptions): UplinkTransport {
  const log = options.logger.child({ component: 'uplink-transport' });
  const intervalMs = options.reloadIntervalMs ?? credentialReloadIntervalMs;
  const tls = createChannelCredentials(
    { caFile: options.tlsCaFile, serverName: options.tlsServerName, certFile: options.tlsCertFile, keyFile: options.tlsKeyFile },
    options.logger,
    intervalMs,
  );
  // The agent presents the first token of the file: during a rotation the collector accepts
  // old and new, and agents move to the new one as their file changes.
  const token = options.authTokenFile
    ? createFileReloader<string>({
        what: 'auth token file',
        paths: [options.authTokenFile],
        intervalMs,
        logger: log,
        parse: ([text]) => parseTokenFile(text!.toString('utf8'))[0]!,
      })
    : undefined;
  if (tls.secure)
    log.info(
      { clientCertificate: options.tlsCertFile !== undefined, serverName: options.tlsServerName, ...tls.summary },
      'collector connection uses TLS',
    );
  else log.warn('no --tls-ca-file: the collector connection is plaintext');
  if (token && !tls.secure) log.warn('the bearer token is sent over a plaintext connection; set --tls-ca-file');
  return {
    credentials: tls.credentials,
    channelOptions: { ...clientKeepaliveOptions(), ...tls.channelOptions },
    metadata: () => {
      const metadata = new grpc.Metadata();
      if (token) metadata.set(authorizationHeader, bearer(token.current()));
      return metadata;
    },
    close: () => {
      tls.close();
      token?.close();
    },
  };
}
