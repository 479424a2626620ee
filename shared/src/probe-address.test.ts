import { describe, expect, it } from 'vitest';
import { unprobeableReason } from './probe-address.ts';

describe('unprobeableReason', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['169.254.169.254', /link-local/],
    ['224.0.0.1', /multicast/],
    ['0.0.0.0', /unspecified/],
    ['255.255.255.255', /broadcast/],
    ['::1', /loopback/],
    ['::', /unspecified/],
    ['fe80::1', /link-local/],
    ['ff02::1', /multicast/],
    ['::ffff:127.0.0.1', /loopback/],
    ['not-an-ip', /not an IP/],
  ])('refuses %s', (ip, reason) => {
    expect(unprobeableReason(ip)).toMatch(reason);
  });

  it.each(['192.0.2.11', '198.18.3.5', '10.0.0.1', '2001:db8::1', 'fd00::5'])('allows %s', (ip) => {
    expect(unprobeableReason(ip)).toBeUndefined();
  });
});
