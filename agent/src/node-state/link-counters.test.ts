import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkRole } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createLinkCounterReader } from './link-counters.ts';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function fakeSys(): { root: string; set(dev: string, c: Partial<Record<string, number>>): void } {
  const root = mkdtempSync(join(tmpdir(), 'sys-'));
  roots.push(root);
  return {
    root,
    set(dev, c) {
      const dir = join(root, 'class/net', dev, 'statistics');
      mkdirSync(dir, { recursive: true });
      for (const f of ['rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped']) writeFileSync(join(dir, f), `${c[f] ?? 0}\n`);
    },
  };
}

describe('link counters', () => {
  it('reports cumulative counters and per-second rates since the previous read', async () => {
    const sys = fakeSys();
    let now = 0;
    const reader = createLinkCounterReader({ sysRoot: sys.root, monotonicMs: () => now });
    sys.set('eth0', { rx_errors: 5, tx_dropped: 1 });
    const [first] = await reader.read([['eth0', LinkRole.UNDERLAY]]);
    expect(first).toMatchObject({ name: 'eth0', rxErrors: 5n, txDropped: 1n, rxErrorsPerSecond: 0, intervalSeconds: 0 });
    now = 10_000;
    sys.set('eth0', { rx_errors: 105, tx_dropped: 1 });
    const [second] = await reader.read([['eth0', LinkRole.UNDERLAY]]);
    expect(second).toMatchObject({ rxErrors: 105n, rxErrorsPerSecond: 10, txDroppedPerSecond: 0, intervalSeconds: 10 });
  });

  it('an event-driven read (a repair, say) gives totals without a rate and restarts the baseline', async () => {
    const sys = fakeSys();
    let now = 0;
    const reader = createLinkCounterReader({ sysRoot: sys.root, monotonicMs: () => now });
    sys.set('eth0', { tx_dropped: 0 });
    await reader.read([['eth0', LinkRole.UNDERLAY]]);
    now = 5_000;
    sys.set('eth0', { tx_dropped: 500 });
    const [event] = await reader.read([['eth0', LinkRole.UNDERLAY]], { rate: false });
    expect(event).toMatchObject({ txDropped: 500n, txDroppedPerSecond: 0, intervalSeconds: 0 });
    now = 10_000;
    sys.set('eth0', { tx_dropped: 600 });
    const [periodic] = await reader.read([['eth0', LinkRole.UNDERLAY]]);
    expect(periodic).toMatchObject({ txDroppedPerSecond: 20, intervalSeconds: 5 });
  });

  it('gives no rate after the counters went backwards (device recreated), and skips absent or odd links', async () => {
    const sys = fakeSys();
    let now = 0;
    const reader = createLinkCounterReader({ sysRoot: sys.root, monotonicMs: () => now });
    sys.set('flannel.1', { rx_dropped: 50 });
    await reader.read([['flannel.1', LinkRole.OVERLAY]]);
    now = 5_000;
    sys.set('flannel.1', { rx_dropped: 3 });
    const got = await reader.read([
      ['flannel.1', LinkRole.OVERLAY],
      ['cni0', LinkRole.POD_BRIDGE],
      ['../../etc', LinkRole.UNDERLAY],
    ]);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ rxDropped: 3n, rxDroppedPerSecond: 0, intervalSeconds: 0 });
  });
});
