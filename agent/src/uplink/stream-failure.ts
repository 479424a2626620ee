// Turns a failed collector stream into one clear log line an operator can act on: a refused
// token, a certificate that did not verify, TLS spoken to a plaintext port (or the reverse).
// Repeats of the same cause are logged at the 1st, 2nd, 4th, 8th… occurrence only.
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../../shared/src/logger.ts';

export type StreamFailureKind = 'unauthenticated' | 'tls-verify' | 'tls-mismatch' | 'refused' | 'other';

export interface StreamFailure {
  kind: StreamFailureKind;
  /** What to check, for the log; undefined for ordinary outages (the uplink's retry line covers those). */
  hint?: string;
}

const tlsVerifyPatterns = [
  /certificate/i,
  /self[- ]signed/i,
  /unable to verify/i,
  /UNABLE_TO_/,
  /CERT_/,
  /Hostname\/IP does not match/i,
  /altnames/i,
];
const tlsMismatchPatterns = [
  /wrong version number/i,
  /packet length too long/i,
  /ssl3_get_record/i,
  /http2 preface|Protocol error|ERR_HTTP2_ERROR/i,
  /before secure TLS connection was established/i,
];

export function classifyStreamFailure(code: grpc.status, details: string): StreamFailure {
  if (code === grpc.status.UNAUTHENTICATED) {
    return {
      kind: 'unauthenticated',
      hint: "the collector refused this agent's bearer token (UNAUTHENTICATED): check that --auth-token-file holds a token listed in the collector's --auth-token-file",
    };
  }
  if (code === grpc.status.INVALID_ARGUMENT || code === grpc.status.FAILED_PRECONDITION) {
    return { kind: 'refused', hint: 'collector refused this agent' };
  }
  if (tlsVerifyPatterns.some((p) => p.test(details))) {
    return {
      kind: 'tls-verify',
      hint: "TLS: the collector's certificate verification failed: check --tls-ca-file (the CA that signed the collector's certificate) and --tls-server-name (a name or IP in its subjectAltName)",
    };
  }
  if (tlsMismatchPatterns.some((p) => p.test(details))) {
    return {
      kind: 'tls-mismatch',
      hint: 'TLS handshake failed: the agent and the collector disagree on TLS (one side has TLS flags, the other not) or the collector requires a client certificate (--tls-cert-file, --tls-key-file)',
    };
  }
  return { kind: 'other' };
}

export interface StreamFailureReporter {
  report(code: grpc.status, details: string): StreamFailure;
  /** After a successful connection. */
  reset(): void;
}

export function createStreamFailureReporter(log: Logger): StreamFailureReporter {
  let lastKind: StreamFailureKind | undefined;
  let repeats = 0;
  return {
    report: (code, details) => {
      const failure = classifyStreamFailure(code, details);
      if (failure.kind !== lastKind) {
        lastKind = failure.kind;
        repeats = 0;
      }
      repeats++;
      if (failure.hint && (repeats & (repeats - 1)) === 0) {
        log.error({ code: grpc.status[code] ?? code, details, occurrences: repeats }, failure.hint);
      }
      return failure;
    },
    reset: () => {
      lastKind = undefined;
      repeats = 0;
    },
  };
}
