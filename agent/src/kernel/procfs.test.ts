import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConntrackStat, readConntrack } from './procfs-conntrack.ts';
import { readSysctls } from './procfs-sysctls.ts';

// Captured from a 6.18 kernel (two CPUs), counters edited to be non-zero.
const stat = [
  'entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart',
  '0000002a  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000003 0000000a 00000001 00000000  00000000 00000000 00000000 00000000',
  '0000002a  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000010 00000001 00000000 00000000  00000000 00000000 00000000 00000000',
  '',
].join('\n');

let root: string;
async function put(path: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, path)), { recursive: true });
  await writeFile(join(root, path), text);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'netsentry-proc-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('conntrack', () => {
  it('sums hex counters over CPUs by column name', () => {
    expect(parseConntrackStat(stat)).toEqual({ insertFailedTotal: 0x13, dropTotal: 0xb, earlyDropTotal: 1 });
  });

  it('reads count, max and stat', async () => {
    await put('sys/net/netfilter/nf_conntrack_count', '42\n');
    await put('sys/net/netfilter/nf_conntrack_max', '262144\n');
    await put('net/stat/nf_conntrack', stat);
    expect(await readConntrack(root)).toEqual({
      available: true,
      entries: 42,
      maxEntries: 262144,
      insertFailedTotal: 19,
      dropTotal: 11,
      earlyDropTotal: 1,
    });
  });

  it('reports a missing module plainly instead of throwing', async () => {
    const r = await readConntrack(root);
    expect(r).toMatchObject({ available: false, entries: 0 });
    expect(r.reason).toMatch(/nf_conntrack_count does not exist \(nf_conntrack module not loaded\?\)/);
  });

  it('reports a malformed stat file', async () => {
    await put('sys/net/netfilter/nf_conntrack_count', '1');
    await put('sys/net/netfilter/nf_conntrack_max', '2');
    await put('net/stat/nf_conntrack', 'entries found\n1 2\n');
    const r = await readConntrack(root);
    expect(r.available).toBe(false);
    expect(r.reason).toMatch(/column 'insert_failed' not in header/);
  });

  it('reads the real /proc without throwing', async () => {
    const r = await readConntrack('/proc');
    expect(typeof r.available).toBe('boolean');
  });
});

describe('sysctls', () => {
  it('reads ip_forward and rp_filter for all, default and devices', async () => {
    await put('sys/net/ipv4/ip_forward', '1\n');
    await put('sys/net/ipv4/conf/all/rp_filter', '0\n');
    await put('sys/net/ipv4/conf/default/rp_filter', '2\n');
    await put('sys/net/ipv4/conf/flannel.1/rp_filter', '1\n');
    const r = await readSysctls(root, ['flannel.1', 'eth0', '', '../x']);
    expect(r.ipForward).toBe(true);
    expect(r.rpFilter).toEqual({ all: 0, default: 2, 'flannel.1': 1 });
    expect(r.unavailable).toEqual([
      { source: 'net.ipv4.conf.../x.rp_filter', reason: 'invalid device name' },
      { source: 'net.ipv4.conf.eth0.rp_filter', reason: 'not present' },
    ]);
  });

  it('lists everything as unavailable on an empty root', async () => {
    const r = await readSysctls(root, []);
    expect(r.ipForward).toBeUndefined();
    expect(r.unavailable.map((u) => u.source)).toEqual([
      'net.ipv4.conf.all.rp_filter',
      'net.ipv4.conf.default.rp_filter',
      'net.ipv4.ip_forward',
    ]);
  });
});
