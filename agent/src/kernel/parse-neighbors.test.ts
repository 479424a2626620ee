import { describe, expect, it } from 'vitest';
import { parseNeighbors } from './parse-neighbors.ts';
import { loadTestdata } from './testdata/load.ts';

describe('parseNeighbors', () => {
  it('parses PERMANENT flannel neighbor entries', () => {
    const n = parseNeighbors(loadTestdata('ip-neigh-flannel-vxlan.json'));
    expect(n).toHaveLength(3);
    expect(n.find((e) => e.dst === '198.18.2.0')).toEqual({
      dst: '198.18.2.0',
      dev: 'flannel.1',
      lladdr: '0a:58:c6:12:02:00',
      states: ['PERMANENT'],
    });
  });

  it('keeps entries without lladdr (FAILED, INCOMPLETE)', () => {
    const n = parseNeighbors(
      '[{"dst":"198.18.5.0","dev":"flannel.1","state":["FAILED"]},{"dst":"192.0.2.1","dev":"eth0","lladdr":"AA:00:00:00:00:01","router":null,"state":["REACHABLE"]}]',
    );
    expect(n).toEqual([
      { dst: '198.18.5.0', dev: 'flannel.1', states: ['FAILED'] },
      { dst: '192.0.2.1', dev: 'eth0', lladdr: 'aa:00:00:00:00:01', states: ['REACHABLE'] },
    ]);
  });

  it('treats empty output as no entries', () => {
    expect(parseNeighbors('')).toEqual([]);
    expect(parseNeighbors('[]\n')).toEqual([]);
  });
});
