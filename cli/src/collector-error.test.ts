import { describe, expect, it } from 'vitest';
import { errnoOf, unreachableError } from './collector-error.ts';

// fetch() failures as undici shapes them: TypeError('fetch failed') with the system error as cause.
const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });
const sysErr = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

describe('collector errors', () => {
  it('finds the errno on the cause or inside an AggregateError (one error per address tried)', () => {
    expect(errnoOf(fetchFailed(sysErr('ECONNREFUSED')))).toBe('ECONNREFUSED');
    expect(
      errnoOf(fetchFailed(Object.assign(new AggregateError([sysErr('ECONNREFUSED'), sysErr('ECONNREFUSED')]), { code: undefined }))),
    ).toBe('ECONNREFUSED');
    expect(errnoOf(new Error('plain'))).toBeUndefined();
  });

  it.each([
    [
      'ECONNREFUSED',
      'REFUSED',
      'cannot reach the collector at http://127.0.0.1:8080: connection refused: nothing listens there; check the URL (--collector or NETSENTRY_COLLECTOR) and that netsentry-collector is running',
    ],
    [
      'ENOTFOUND',
      'UNREACHABLE',
      "cannot reach the collector at http://127.0.0.1:8080: cannot resolve host '127.0.0.1' (DNS lookup failed); check the URL (--collector or NETSENTRY_COLLECTOR) and that netsentry-collector is running",
    ],
    ['EHOSTUNREACH', 'UNREACHABLE', 'cannot reach the collector at http://127.0.0.1:8080: no route to host'],
    [
      'UND_ERR_SOCKET',
      'UNAVAILABLE',
      "cannot reach the collector at http://127.0.0.1:8080: connection closed before an answer: is this the collector's HTTP port (default 8080, not gRPC 7443)?",
    ],
  ])('explains %s', (errno, code, message) => {
    const err = unreachableError(fetchFailed(sysErr(errno)), 'http://127.0.0.1:8080/api/v1/findings?state=open', 5000);
    expect(err).toMatchObject({ code, message });
  });

  it('says which deadline passed on a timeout', () => {
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(unreachableError(timeout, 'http://c:8080/api/v1/nodes', 1500)).toMatchObject({
      code: 'TIMEOUT',
      message: 'no answer from the collector at http://c:8080 within 1.5 s (--timeout)',
    });
  });

  it('keeps the detail of an unknown failure', () => {
    expect(unreachableError(fetchFailed(sysErr('EWEIRD')), 'http://c:8080/x', 1000).message).toBe(
      'cannot reach the collector at http://c:8080: connect EWEIRD (EWEIRD)',
    );
  });
});
