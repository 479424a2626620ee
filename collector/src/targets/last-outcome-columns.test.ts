import { describe, expect, it } from 'vitest';
import { createLastOutcomeColumns, outcomeFailed, outcomeNone, outcomeOk, type LastOutcomeColumns } from './last-outcome-columns.ts';

/** What the store does at ingest: the node's slot and the address's column, then one write. */
const set = (columns: LastOutcomeColumns, key: string, node: string, ok: boolean, atMs: number): void => {
  const slot = columns.slotFor(node);
  const column = columns.columnFor(key);
  column.state[slot] = ok ? outcomeOk : outcomeFailed;
  column.atMs[slot] = atMs;
};

describe('last outcome columns', () => {
  it('keep one cell per node and address, growing past the first capacity without losing cells', () => {
    const columns = createLastOutcomeColumns(2);
    // A holder taken before the slots outgrow the first arrays reads the current ones after.
    const x = columns.columnFor('a|x');
    const nodes = Array.from({ length: 9 }, (_, i) => `node-${i}`);
    nodes.forEach((node, i) => set(columns, 'a|x', node, i % 2 === 0, 100 + i));
    set(columns, 'a|y', 'node-3', false, 7);
    expect(x.state.length).toBeGreaterThanOrEqual(9);
    nodes.forEach((node, i) => {
      const slot = columns.slotOf(node)!;
      expect(x.state[slot]).toBe(i % 2 === 0 ? outcomeOk : outcomeFailed);
      expect(x.atMs[slot]).toBe(100 + i);
    });
    expect(columns.column('a|y')!.state[columns.slotOf('node-3')!]).toBe(outcomeFailed);
    expect(columns.slotLimit).toBe(9);
  });

  it('clears cells, reuses a released node slot and drops a key', () => {
    const columns = createLastOutcomeColumns(4);
    set(columns, 'a|x', 'node-1', true, 1);
    set(columns, 'a|x', 'node-2', true, 1);
    const slot = columns.slotOf('node-1')!;
    columns.clear('a|x', 'node-1');
    expect(columns.column('a|x')!.state[slot]).toBe(outcomeNone);
    columns.releaseNode('node-1');
    expect(columns.slotOf('node-1')).toBeUndefined();
    set(columns, 'a|x', 'node-3', false, 2);
    expect(columns.slotOf('node-3')).toBe(slot);
    expect(columns.slotLimit).toBe(2);
    columns.dropKey('a|x');
    expect(columns.column('a|x')).toBeUndefined();
  });
});
