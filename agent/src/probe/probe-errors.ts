// Socket errors to the closed set of probe failure reasons, in one place.
import type { ProbeErrorReason } from './probe-types.ts';

const byErrno: Record<string, ProbeErrorReason> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EHOSTDOWN: 'unreachable',
  ENETDOWN: 'unreachable',
  ECONNRESET: 'reset',
  ECONNABORTED: 'reset',
  EPIPE: 'reset',
  ETIMEDOUT: 'timeout',
  ABORT_ERR: 'timeout',
};

/** Maps a Node.js socket error (errno string in `code`, or an AbortError) to a probe reason. */
export function probeErrorReason(err: unknown): ProbeErrorReason {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && byErrno[code]) return byErrno[code];
  if ((err as { name?: unknown } | null)?.name === 'AbortError') return 'timeout';
  return 'error';
}

/** DNS RCODE (RFC 1035 §4.1.1) to a reason; undefined for NOERROR. */
export function dnsRcodeReason(rcode: number): ProbeErrorReason | undefined {
  if (rcode === 0) return undefined;
  if (rcode === 2) return 'servfail';
  if (rcode === 3) return 'nxdomain';
  return 'error';
}
