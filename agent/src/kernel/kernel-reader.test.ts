import { describe, expect, it } from 'vitest';
import type { CommandRunner } from './command-runner.ts';
import { createKernelReader } from './kernel-reader.ts';
import { loadTestdata } from './testdata/load.ts';

function fakeRunner(outputs: Record<string, string>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (argv) => {
      const key = argv.join(' ');
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
    expect(runner.calls).toEqual(['ip -j -d addr show', 'ip -j route show table all', 'ip -j neigh show', 'bridge -j fdb show dev flannel.1']);
  });

  it('never throws for procfs sources', async () => {
    expect((await reader.conntrack()).available).toBe(false);
    expect((await reader.sysctls(['flannel.1'])).unavailable).toHaveLength(4);
  });
});
