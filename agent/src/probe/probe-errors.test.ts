import { describe, expect, it } from 'vitest';
import { dnsRcodeReason, probeErrorReason } from './probe-errors.ts';

const errno = (code: string): Error => Object.assign(new Error(code), { code });

describe('probe error mapping', () => {
  it('maps socket errno to the closed set', () => {
    expect(probeErrorReason(errno('ECONNREFUSED'))).toBe('refused');
    expect(probeErrorReason(errno('EHOSTUNREACH'))).toBe('unreachable');
    expect(probeErrorReason(errno('ENETUNREACH'))).toBe('unreachable');
    expect(probeErrorReason(errno('ECONNRESET'))).toBe('reset');
    expect(probeErrorReason(errno('ETIMEDOUT'))).toBe('timeout');
    expect(probeErrorReason(new DOMException('aborted', 'AbortError'))).toBe('timeout');
    expect(probeErrorReason(errno('EMSGSIZE'))).toBe('error');
    expect(probeErrorReason('nonsense')).toBe('error');
    expect(probeErrorReason(null)).toBe('error');
  });

  it('maps DNS RCODEs', () => {
    expect(dnsRcodeReason(0)).toBeUndefined();
    expect(dnsRcodeReason(2)).toBe('servfail');
    expect(dnsRcodeReason(3)).toBe('nxdomain');
    expect(dnsRcodeReason(5)).toBe('error');
  });
});
