import { describe, expect, it } from 'vitest';
import { createPassReader } from './pass-reader.ts';
import type { KernelReader, KernelTables } from './types.ts';

function countingReader(withTables: boolean): KernelReader & { calls: string[] } {
  const calls: string[] = [];
  let n = 0;
  const tables = (): KernelTables => ({
    links: [{ name: `read-${++n}`, index: 1, kind: '', adminUp: true, operState: 'UP', mtu: 1500, mac: '', addresses: [] }],
    routes: [],
    neighbors: [],
  });
  const reader: KernelReader & { calls: string[] } = {
    calls,
    links: async () => (calls.push('links'), tables().links),
    routes: async () => (calls.push('routes'), []),
    neighbors: async () => (calls.push('neighbors'), []),
    fdb: async () => (calls.push('fdb'), []),
    conntrack: async () => ({ available: false, entries: 0, maxEntries: 0, insertFailedTotal: 0, dropTotal: 0, earlyDropTotal: 0 }),
    sysctls: async () => ({ rpFilter: {}, unavailable: [] }),
  };
  if (withTables) reader.tables = async () => (calls.push('tables'), tables());
  return reader;
}

describe('pass reader', () => {
  it('within a pass, every read of links, routes and neighbors shares one tables() read', async () => {
    const base = countingReader(true);
    const pass = createPassReader(base);
    pass.begin();
    const first = await pass.reader.links();
    await Promise.all([pass.reader.links(), pass.reader.routes(), pass.reader.neighbors(), pass.reader.fdb('flannel.1')]);
    expect(await pass.reader.links()).toBe(first);
    pass.end();
    expect(base.calls).toEqual(['tables', 'fdb']);
    // Outside a pass: fresh reads, table by table.
    expect((await pass.reader.links())[0]?.name).toBe('read-2');
    expect(base.calls).toEqual(['tables', 'fdb', 'links']);
    pass.begin();
    expect((await pass.reader.links())[0]?.name).toBe('read-3');
  });

  it('a reader without tables() is read table by table, once per pass', async () => {
    const base = countingReader(false);
    const pass = createPassReader(base);
    pass.begin();
    await Promise.all([pass.reader.links(), pass.reader.links(), pass.reader.routes(), pass.reader.neighbors()]);
    expect(base.calls.sort()).toEqual(['links', 'neighbors', 'routes']);
  });

  it('a failed read fails every table of the pass, and the next pass reads again', async () => {
    const base = countingReader(true);
    let fail = true;
    const tables = base.tables!;
    base.tables = async (signal) => {
      if (fail) throw new Error('ip -batch failed');
      return tables(signal);
    };
    const pass = createPassReader(base);
    pass.begin();
    await expect(pass.reader.routes()).rejects.toThrow('ip -batch failed');
    await expect(pass.reader.links()).rejects.toThrow('ip -batch failed');
    pass.end();
    fail = false;
    pass.begin();
    expect(await pass.reader.routes()).toEqual([]);
  });
});
