import { describe, expect, it } from 'vitest';
import { parseLinks } from './parse-links.ts';
import { loadTestdata } from './testdata/load.ts';

describe('parseLinks', () => {
  it('parses a flannel VXLAN node captured from ip -j -d addr show', () => {
    const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
    expect(links.map((l) => l.name)).toEqual(['lo', 'eth0', 'flannel.1', 'cni0', 'tappod0']);
    const vx = links.find((l) => l.name === 'flannel.1');
    expect(vx).toEqual({
      name: 'flannel.1',
      index: 3,
      kind: 'vxlan',
      adminUp: true,
      operState: 'UNKNOWN',
      mtu: 1450,
      mac: '0a:58:c6:12:01:00',
      addresses: [
        { family: 4, address: '198.18.1.0', prefixLength: 32, scope: 'global' },
        { family: 6, address: 'fe80::858:c6ff:fe12:100', prefixLength: 64, scope: 'link' },
      ],
      vxlan: { vni: 1, port: 8472, local: '192.0.2.11', learning: false, underlayDevice: 'eth0' },
    });
    const cni0 = links.find((l) => l.name === 'cni0');
    expect(cni0).toMatchObject({ kind: 'bridge', adminUp: true, operState: 'DOWN', mtu: 1450 });
    expect(links.find((l) => l.name === 'tappod0')).toMatchObject({ master: 'cni0', addresses: [] });
    expect(links.find((l) => l.name === 'lo')?.kind).toBe('');
  });

  it('parses ip -j -d link show (no addresses)', () => {
    const links = parseLinks(loadTestdata('ip-link-flannel-vxlan.json'));
    expect(links.find((l) => l.name === 'flannel.1')?.vxlan?.vni).toBe(1);
    expect(links.every((l) => l.addresses.length === 0)).toBe(true);
  });

  it('resolves a numeric vxlan underlay index and tolerates odd rows', () => {
    const text = JSON.stringify([
      { ifindex: 7, ifname: 'ens5', flags: ['UP'], mtu: 9001, operstate: 'UP', address: 'AA:BB:CC:00:00:01' },
      {
        ifindex: 8,
        ifname: 'flannel.4096',
        flags: [],
        mtu: 8951,
        linkinfo: { info_kind: 'vxlan', info_data: { id: 4096, link: 7, port: 4789, learning: true } },
      },
      { ifname: 'no-index' },
      'junk',
    ]);
    const [ens5, vx] = parseLinks(text);
    expect(ens5).toMatchObject({ mac: 'aa:bb:cc:00:00:01', kind: '', adminUp: true });
    expect(vx).toMatchObject({
      adminUp: false,
      operState: 'UNKNOWN',
      vxlan: { vni: 4096, port: 4789, learning: true, underlayDevice: 'ens5' },
    });
    expect(vx?.vxlan?.local).toBeUndefined();
  });

  it('rejects output that is not JSON', () => {
    expect(() => parseLinks('Error: something')).toThrow(/not JSON/);
  });
});
