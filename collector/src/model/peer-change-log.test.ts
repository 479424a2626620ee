import { describe, expect, it } from 'vitest';
import { createPeerChangeLog } from './peer-change-log.ts';

describe('peer change log', () => {
  it('returns the distinct peers changed after a base generation, base excluded', () => {
    const log = createPeerChangeLog({ maxEntries: () => 100 });
    log.record(1n, [{ node: 'a', network: 'host' }]);
    log.record(2n, [
      { node: 'b', network: 'host' },
      { node: 'b', network: 'pod' },
    ]);
    log.record(3n, [{ node: 'a', network: 'host' }]);
    expect(log.changedSince(0n)).toEqual([
      { node: 'a', network: 'host' },
      { node: 'b', network: 'host' },
      { node: 'b', network: 'pod' },
    ]);
    expect(log.changedSince(1n)).toEqual([
      { node: 'b', network: 'host' },
      { node: 'b', network: 'pod' },
      { node: 'a', network: 'host' },
    ]);
    expect(log.changedSince(3n)).toEqual([]);
  });

  it('refuses a base it no longer covers completely, or one from the future', () => {
    const log = createPeerChangeLog({ maxEntries: () => 3 });
    for (let g = 1n; g <= 5n; g++) log.record(g, [{ node: `n${g}`, network: 'host' }]);
    // Generations 3–5 are kept: changes after 2 are all known, after 1 not.
    expect(log.size).toBe(3);
    expect(log.oldestBase).toBe(2n);
    expect(log.changedSince(1n)).toBeUndefined();
    expect(log.changedSince(2n)?.map((c) => c.node)).toEqual(['n3', 'n4', 'n5']);
    expect(log.changedSince(6n)).toBeUndefined();
  });

  it('stays bounded over many generations (compacts its storage)', () => {
    const log = createPeerChangeLog({ maxEntries: () => 10 });
    for (let g = 1n; g <= 5000n; g++) log.record(g, [{ node: `n${g % 7n}`, network: 'pod' }]);
    expect(log.size).toBe(10);
    expect(log.changedSince(4990n)).toHaveLength(7);
    expect(log.changedSince(4989n)).toBeUndefined();
  });

  it('rejects a generation going backwards', () => {
    const log = createPeerChangeLog({ maxEntries: () => 10 });
    log.record(5n, []);
    expect(() => log.record(4n, [])).toThrow(/generation 4 after 5/);
  });
});
