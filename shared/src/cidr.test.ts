import { describe, expect, it } from 'vitest';
import { cidrContains, isValidCidr, isValidMac, normaliseCidr, parseCidr } from './cidr.ts';

describe('parseCidr', () => {
  it('normalises host bits away', () => {
    expect(parseCidr('198.18.2.7/24')).toEqual({ network: '198.18.2.0', prefixLength: 24, family: 4 });
    expect(normaliseCidr('198.18.2.7/24')).toBe('198.18.2.0/24');
  });
  it('rejects malformed input', () => {
    for (const bad of ['', '198.18.2.0', '198.18.2.0/33', '300.1.1.1/24', 'x/24', '198.18.2.0/', '198.18.2.0/2a']) {
      expect(isValidCidr(bad), bad).toBe(false);
    }
  });
  it('answers containment', () => {
    expect(cidrContains('198.18.2.0/24', '198.18.2.9')).toBe(true);
    expect(cidrContains('198.18.2.0/24', '198.18.3.9')).toBe(false);
  });
  it('validates MACs', () => {
    expect(isValidMac('0a:58:c6:12:02:00')).toBe(true);
    expect(isValidMac('0a:58:c6:12:02')).toBe(false);
  });
});
