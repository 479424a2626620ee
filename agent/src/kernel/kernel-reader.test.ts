import { describe, expect, it } from 'vitest';
import type { CommandRunner } from './command-runner.ts';
import { createKernelReader, splitBatchOutput } from './kernel-reader.ts';
import { loadTestdata } from './testdata/load.ts';

function fakeRunner(outputs: Record<string, string>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv, _signal, input) => {
      const key = input === undefined ? argv.join(' ') : `${argv.join(' ')} <<< ${JSON.stringify(input)}`;
      calls.push(key);
      const out = outputs[key];
      if (out === undefined) throw new Error(`unexpected command ${key}`);
      return out;
    },
  };
}

describe('createKernelReader', () => {
  const runner = fakeRunner({
    'ip -j -d addr show': loadTestdata('ip-addr-flannel-vxlan.json'),
    'ip -j route show table all': loadTestdata('ip-route-flannel-vxlan.json'),
    'ip -j neigh show': loadTestdata('ip-neigh-flannel-vxlan.json'),
    'bridge -j fdb show dev flannel.1': loadTestdata('bridge-fdb-flannel-vxlan.json'),
  });
  const reader = createKernelReader({ runner, procRoot: '/nonexistent-proc' });

  it('runs the documented commands and parses them', async () => {
    expect((await reader.links()).length).toBe(5);
    expect((await reader.routes()).some((r) => r.dst === '198.18.3.0/24')).toBe(true);
    expect((await reader.neighbors()).length).toBe(3);
    expect((await reader.fdb('flannel.1')).every((e) => e.dev === 'flannel.1')).toBe(true);
    expect(runner.calls).toEqual([
      'ip -j -d addr show',
      'ip -j route show table all',
      'ip -j neigh show',
      'bridge -j fdb show dev flannel.1',
    ]);
  });

  it('tables(): one `ip -j -d -batch -` run, split into its three JSON arrays', async () => {
    const oneLine = (name: string) => JSON.stringify(JSON.parse(loadTestdata(name)));
    const batch = fakeRunner({
      'ip -j -d -batch - <<< "addr show\\nroute show table all\\nneigh show\\n"':
        ['ip-addr-flannel-vxlan.json', 'ip-route-flannel-vxlan.json', 'ip-neigh-flannel-vxlan.json'].map(oneLine).join('\n') + '\n',
    });
    const tables = await createKernelReader({ runner: batch }).tables!();
    expect(batch.calls).toHaveLength(1);
    expect(tables.links).toEqual(await reader.links());
    expect(tables.routes).toEqual(await reader.routes());
    expect(tables.neighbors).toEqual(await reader.neighbors());
  });

  it('splitBatchOutput refuses output that does not have one array per command', () => {
    expect(splitBatchOutput('[1]\n[]\n\n', 2)).toEqual(['[1]', '[]']);
    expect(() => splitBatchOutput('[1]\n', 2)).toThrow('ip -batch printed 1 JSON arrays for 2 commands');
  });

  it('never throws for procfs sources', async () => {
    expect((await reader.conntrack()).available).toBe(false);
    expect((await reader.sysctls(['flannel.1'])).unavailable).toHaveLength(4);
  });
});
