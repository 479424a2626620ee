import { describe, expect, it } from 'vitest';
import { parseFdb } from './parse-fdb.ts';
import { loadTestdata } from './testdata/load.ts';

describe('parseFdb', () => {
  it('parses bridge -j fdb show dev flannel.1, which omits ifname', () => {
    const fdb = parseFdb(loadTestdata('bridge-fdb-flannel-vxlan.json'), 'flannel.1');
    expect(fdb).toHaveLength(3);
    expect(fdb.find((e) => e.mac === '0a:58:c6:12:02:00')).toEqual({
      mac: '0a:58:c6:12:02:00',
      dev: 'flannel.1',
      dst: '192.0.2.12',
      self: true,
      permanent: true,
    });
  });

  it('parses the full table with ifname and master entries', () => {
    const fdb = parseFdb(loadTestdata('bridge-fdb-all.json'));
    expect(
      fdb
        .filter((e) => e.dev === 'flannel.1')
        .map((e) => e.dst)
        .sort(),
    ).toEqual(['192.0.2.12', '192.0.2.13', '192.0.2.14']);
    expect(fdb.find((e) => e.dev === 'tappod0' && !e.self)).toMatchObject({ permanent: true });
  });

  it('marks learned entries as not permanent', () => {
    const [e] = parseFdb('[{"mac":"0A:58:C6:12:02:00","dst":"192.0.2.12","flags":["self"]}]', 'flannel.1');
    expect(e).toEqual({ mac: '0a:58:c6:12:02:00', dev: 'flannel.1', dst: '192.0.2.12', self: true, permanent: false });
  });
});
