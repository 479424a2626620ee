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
  it('normalises IPv6: host bits cleared, RFC 5952 text', () => {
    expect(parseCidr('2001:DB8:0:0:0:0:0:1/64')).toEqual({ network: '2001:db8::', prefixLength: 64, family: 6 });
    expect(normaliseCidr('fd00:10:244:1::7/64')).toBe('fd00:10:244:1::/64');
    expect(normaliseCidr('2001:db8:1234:5678:9abc::1/52')).toBe('2001:db8:1234:5000::/52');
    expect(normaliseCidr('2001:db8::1/128')).toBe('2001:db8::1/128');
    expect(normaliseCidr('2001:db8::1/0')).toBe('::/0');
    expect(normaliseCidr('::ffff:198.18.2.7/120')).toBe('::ffff:c612:200/120');
    expect(normaliseCidr('2001:0db8:0000:0001:0000:0000:0000:0000/64')).toBe('2001:db8:0:1::/64');
    for (const bad of ['2001:db8::/129', '2001:db8:::1/64', 'fd00::g/64']) expect(isValidCidr(bad), bad).toBe(false);
  });
  it('answers IPv6 containment, and never across families', () => {
    expect(cidrContains('fd00:10:244:1::/64', 'fd00:10:244:1::abcd')).toBe(true);
    expect(cidrContains('fd00:10:244:1::/64', 'fd00:10:244:2::1')).toBe(false);
    expect(cidrContains('2001:db8:1234:5000::/52', '2001:db8:1234:5fff::1')).toBe(true);
    expect(cidrContains('2001:db8:1234:5000::/52', '2001:db8:1234:6000::1')).toBe(false);
    expect(cidrContains('::/0', '2001:db8::1')).toBe(true);
    expect(cidrContains('198.18.0.0/15', 'fd00::1')).toBe(false);
    expect(cidrContains('fd00::/8', '198.18.2.9')).toBe(false);
    expect(cidrContains('198.18.0.0/15', '198.19.255.255')).toBe(true);
    expect(cidrContains('0.0.0.0/0', '192.0.2.1')).toBe(true);
  });
  it('validates MACs', () => {
    expect(isValidMac('0a:58:c6:12:02:00')).toBe(true);
    expect(isValidMac('0a:58:c6:12:02')).toBe(false);
  });
});
