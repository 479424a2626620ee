import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { classifyStreamFailure, createStreamFailureReporter } from './stream-failure.ts';

// Details as grpc-js 1.14 on Node 24 reports them (captured from real handshakes).
const wrongCa =
  'No connection established. Last error: Error: unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca. Resolution note: ';
const wrongName =
  "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list: 192.0.2.1. Resolution note: ";

describe('classifyStreamFailure', () => {
  it('names a refused token', () => {
    const failure = classifyStreamFailure(grpc.status.UNAUTHENTICATED, 'missing or invalid bearer token');
    expect(failure.kind).toBe('unauthenticated');
    expect(failure.hint).toMatch(/UNAUTHENTICATED.*--auth-token-file/);
  });

  it('names a certificate that did not verify, for a wrong CA and a wrong name', () => {
    for (const details of [wrongCa, wrongName, 'Error: self-signed certificate in certificate chain']) {
      const failure = classifyStreamFailure(grpc.status.UNAVAILABLE, details);
      expect(failure.kind).toBe('tls-verify');
      expect(failure.hint).toMatch(/certificate verification failed.*--tls-ca-file.*--tls-server-name/);
    }
  });

  it('leaves an ordinary outage to the retry line', () => {
    expect(
      classifyStreamFailure(grpc.status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 192.0.2.1:7443'),
    ).toEqual({ kind: 'other' });
  });
});

describe('createStreamFailureReporter', () => {
  it('logs a cause at its 1st, 2nd, 4th and 8th occurrence, and again when the cause changes', () => {
    const lines: string[] = [];
    const log = createSilentLogger();
    log.error = ((_obj: unknown, msg: string) => void lines.push(msg)) as typeof log.error;
    const reporter = createStreamFailureReporter(log);
    for (let i = 0; i < 8; i++) reporter.report(grpc.status.UNAUTHENTICATED, 'x');
    expect(lines).toHaveLength(4);
    reporter.report(grpc.status.UNAVAILABLE, wrongCa);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toMatch(/certificate verification failed/);
    reporter.reset();
    reporter.report(grpc.status.UNAVAILABLE, wrongCa);
    expect(lines).toHaveLength(6);
  });
});
