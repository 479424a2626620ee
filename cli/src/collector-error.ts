// Why the collector could not be asked, in words an operator can act on. The one place that
// turns fetch failures (errno codes from undici, timeouts) into NetsentryErrors for the CLI.
import { codeFromErrno, NetsentryError, type ErrorCode } from '../../shared/src/errors.ts';

const hint = 'check the URL (--collector or NETSENTRY_COLLECTOR) and that netsentry-collector is running';

/** errno (or undici code) → what it means here. */
const reasons: Record<string, { code: ErrorCode; text: (host: string) => string }> = {
  ECONNREFUSED: { code: 'REFUSED', text: () => `connection refused: nothing listens there; ${hint}` },
  ENOTFOUND: { code: 'UNREACHABLE', text: (host) => `cannot resolve host '${host}' (DNS lookup failed); ${hint}` },
  EAI_AGAIN: { code: 'UNAVAILABLE', text: (host) => `cannot resolve host '${host}' right now (DNS temporarily failing)` },
  EHOSTUNREACH: { code: 'UNREACHABLE', text: () => 'no route to host' },
  ENETUNREACH: { code: 'UNREACHABLE', text: () => 'network unreachable' },
  ETIMEDOUT: { code: 'TIMEOUT', text: () => 'connection timed out' },
  UND_ERR_CONNECT_TIMEOUT: { code: 'TIMEOUT', text: () => 'connection timed out' },
  ECONNRESET: { code: 'UNAVAILABLE', text: () => "connection reset: is this the collector's HTTP port (default 8080, not gRPC 7443)?" },
  UND_ERR_SOCKET: {
    code: 'UNAVAILABLE',
    text: () => "connection closed before an answer: is this the collector's HTTP port (default 8080, not gRPC 7443)?",
  },
  EPROTO: { code: 'UNAVAILABLE', text: () => 'TLS handshake failed: https:// against a plain HTTP port, or the other way round?' },
};

/** The errno of a fetch failure: on its cause, or on the first of an AggregateError's errors (one per address tried). */
export function errnoOf(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'ERR_INVALID_URL') return code;
    const errors = (current as { errors?: unknown[] }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = errnoOf(errors[0]);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A failed request to `url` (network level: no HTTP answer). */
export function unreachableError(err: unknown, url: string, timeoutMs: number): NetsentryError {
  const where = new URL(url);
  const origin = where.origin;
  if ((err as { name?: string } | null)?.name === 'TimeoutError') {
    return new NetsentryError('TIMEOUT', `no answer from the collector at ${origin} within ${timeoutMs / 1000} s (--timeout)`, {
      cause: err,
    });
  }
  const errno = errnoOf(err);
  const reason = errno ? reasons[errno] : undefined;
  if (reason)
    return new NetsentryError(reason.code, `cannot reach the collector at ${origin}: ${reason.text(where.hostname)}`, { cause: err });
  const detail = (err as { cause?: { message?: string } })?.cause?.message ?? (err as Error)?.message ?? String(err);
  return new NetsentryError(
    errno ? codeFromErrno({ code: errno }) : 'UNAVAILABLE',
    `cannot reach the collector at ${origin}: ${detail}${errno ? ` (${errno})` : ''}`,
    { cause: err },
  );
}

/** The collector answered, but not with what this CLI asked for. */
export function badAnswerError(url: string, why: string): NetsentryError {
  return new NetsentryError('UNAVAILABLE', `unexpected answer from ${url}: ${why}`);
}
