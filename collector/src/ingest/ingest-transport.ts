// What the gRPC port is wrapped in: TLS (optionally mutual), the bearer-token check, keepalive
// and connection age. Built once from the flags; the ingest server only plugs it in.
import type * as grpc from '@grpc/grpc-js';
import { createTokenVerifier, parseTokenFile, type TokenVerifier } from '../../../shared/src/auth-token.ts';
import { createFileReloader } from '../../../shared/src/file-reloader.ts';
import { credentialReloadIntervalMs, createServerCredentials } from '../../../shared/src/grpc-credentials.ts';
import { serverKeepaliveOptions } from '../../../shared/src/keepalive.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { createAuthInterceptor } from './auth-interceptor.ts';
import { createLogOncePerKey, peerHost } from './log-once-per-key.ts';

export interface IngestTransport {
  credentials: grpc.ServerCredentials;
  serverOptions: grpc.ChannelOptions;
  interceptors: grpc.ServerInterceptor[];
  close(): void;
}

export interface IngestTransportOptions {
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
  authTokenFile?: string;
  maxConnectionAgeMs: number;
  maxConnectionAgeGraceMs: number;
  logger: Logger;
  streamError: (reason: 'unauthenticated') => void;
  reloadIntervalMs?: number;
  /** How long a peer address that was refused stays quiet in the log. */
  refusalLogWindowMs?: number;
}

/** Throws NetsentryError('INVALID_CONFIG') when a TLS or token file is missing or wrong. */
export function createIngestTransport(options: IngestTransportOptions): IngestTransport {
  const log = options.logger.child({ component: 'ingest-transport' });
  const intervalMs = options.reloadIntervalMs ?? credentialReloadIntervalMs;
  const tls = createServerCredentials(
    { certFile: options.tlsCertFile, keyFile: options.tlsKeyFile, clientCaFile: options.tlsClientCaFile },
    options.logger,
    intervalMs,
  );
  const interceptors: grpc.ServerInterceptor[] = [];
  let closeTokens = (): void => {};
  if (options.authTokenFile) {
    const tokens = createFileReloader<TokenVerifier & { count: number }>({
      what: 'auth token file',
      paths: [options.authTokenFile],
      intervalMs,
      logger: log,
      parse: ([text]) => {
        const accepted = parseTokenFile(text!.toString('utf8'));
        return { ...createTokenVerifier(accepted), count: accepted.length };
      },
    });
    closeTokens = tokens.close;
    const refusalLogWindowMs = options.refusalLogWindowMs ?? 10 * 60_000;
    const limiter = createLogOncePerKey({ windowMs: refusalLogWindowMs, maxKeys: 4096 });
    interceptors.push(
      createAuthInterceptor({
        verifier: tokens.current,
        onRefused: ({ peer, why }) => {
          options.streamError('unauthenticated');
          const logged = limiter.shouldLog(peerHost(peer));
          // Further refusals from this address are counted in the metric, not logged, for the window.
          if (logged)
            log.warn(
              {
                peer,
                why,
                code: 'UNAUTHENTICATED',
                refusedSinceLastLine: logged.suppressed,
                quietForSeconds: Math.round(refusalLogWindowMs / 1000),
              },
              'refused agent stream: missing or invalid bearer token',
            );
        },
      }),
    );
    log.info({ authTokenFile: options.authTokenFile, tokens: tokens.current().count }, 'agents must present a bearer token');
  } else {
    log.warn('no --auth-token-file: any client that reaches the gRPC port can report as any node');
  }
  if (tls.secure) log.info({ mutualTls: options.tlsClientCaFile !== undefined, ...tls.summary }, 'gRPC port serves TLS');
  else log.warn('no --tls-cert-file: the gRPC port is plaintext (tokens and reports travel unencrypted)');
  return {
    credentials: tls.credentials,
    serverOptions: serverKeepaliveOptions({
      maxConnectionAgeMs: options.maxConnectionAgeMs,
      maxConnectionAgeGraceMs: options.maxConnectionAgeGraceMs,
    }),
    interceptors,
    close: () => {
      tls.close();
      closeTokens();
    },
  };
}
