import { describe, expect, it } from 'vitest';
import { normaliseRouteDst, parseRoutes } from './parse-routes.ts';
import { loadTestdata } from './testdata/load.ts';

describe('parseRoutes', () => {
  it('parses flannel VXLAN routes from ip -j route show table all', () => {
    const routes = parseRoutes(loadTestdata('ip-route-flannel-vxlan.json'));
    const main = routes.filter((r) => r.table === 'main');
    expect(main.find((r) => r.dst === '198.18.2.0/24')).toEqual({
      table: 'main',
      type: 'unicast',
      dst: '198.18.2.0/24',
      gateway: '198.18.2.0',
      dev: 'flannel.1',
      onlink: true,
    });
    expect(main.find((r) => r.dst === 'default')).toMatchObject({ gateway: '192.0.2.1', dev: 'eth0', onlink: false });
    expect(main.find((r) => r.dst === '192.0.2.0/24')).toMatchObject({ protocol: 'kernel', scope: 'link', prefsrc: '192.0.2.11' });
    const local = routes.find((r) => r.table === 'local' && r.dst === '198.18.1.0/32');
    expect(local).toMatchObject({ type: 'local', dev: 'flannel.1' });
    expect(routes.find((r) => r.dst === '::1/128')?.table).toBe('local');
  });

  it('parses a host-gw table', () => {
    const routes = parseRoutes(loadTestdata('ip-route-flannel-host-gw.json'));
    expect(
      routes
        .filter((r) => r.dst.startsWith('198.18.') && r.gateway?.startsWith('192.0.2.1'))
        .map((r) => `${r.dst} via ${r.gateway} dev ${r.dev}`),
    ).toEqual(['198.18.2.0/24 via 192.0.2.12 dev eth0', '198.18.3.0/24 via 192.0.2.13 dev eth0', '198.18.4.0/24 via 192.0.2.14 dev eth0']);
  });

  it('keeps blackhole routes without a device', () => {
    const [r] = parseRoutes('[{"type":"blackhole","dst":"198.18.9.0/24","flags":[]}]');
    expect(r).toEqual({ table: 'main', type: 'blackhole', dst: '198.18.9.0/24', onlink: false });
  });

  it.each([
    ['default', 'default'],
    ['198.18.2.7/24', '198.18.2.0/24'],
    ['198.18.2.7', '198.18.2.7/32'],
    ['FE80::1', 'fe80::1/128'],
    // The fast path for normal IPv4 CIDRs, and what it hands to the general parser.
    ['198.18.64.16/28', '198.18.64.16/28'],
    ['198.18.64.17/28', '198.18.64.16/28'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.9/32', '192.0.2.9/32'],
    ['198.18.2.0/33', '198.18.2.0/33'],
    ['256.18.2.0/24', '256.18.2.0/24'],
  ])('normalises %s to %s', (input, out) => expect(normaliseRouteDst(input)).toBe(out));
});
