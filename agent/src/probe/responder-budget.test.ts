import { describe, expect, it } from 'vitest';
import { createSenderBudget } from './responder-budget.ts';

const limits = { ratePerSecond: 100, perSourceRatePerSecond: 2, maxConnections: 3, maxConnectionsPerSource: 2, maxSources: 3 };

describe('sender budget', () => {
  it('limits each source and evicts only the least recently used source, never all at once', () => {
    let t = 0;
    const budget = createSenderBudget(limits, () => t);
    expect([budget.allowAnswer('a'), budget.allowAnswer('a'), budget.allowAnswer('a')]).toEqual([true, true, false]);
    budget.allowAnswer('b');
    budget.allowAnswer('c');
    budget.allowAnswer('a'); // a is now the most recent
    budget.allowAnswer('d'); // evicts b
    expect(budget.sources).toBe(3);
    // a kept its spent bucket: no fresh budget from churning other sources.
    expect(budget.allowAnswer('a')).toBe(false);
    t += 1000;
    expect(budget.allowAnswer('a')).toBe(true);
  });

  it('caps connections per source and in total, and releases each once', () => {
    const budget = createSenderBudget(limits);
    const a1 = budget.openConnection('a');
    const a2 = budget.openConnection('a');
    expect(budget.openConnection('a')).toBeUndefined();
    const b1 = budget.openConnection('b');
    expect(budget.openConnection('c')).toBeUndefined();
    a1!();
    a1!();
    expect(budget.connections).toBe(2);
    expect(budget.openConnection('c')).toBeDefined();
    expect([a2, b1].every(Boolean)).toBe(true);
  });
});
