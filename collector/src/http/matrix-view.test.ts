import { describe, expect, it } from 'vitest';
import { cellState } from './matrix-view.ts';

describe('matrix cell state (served, so the page and the CLI colour alike)', () => {
  const cell = { attempts: 6, failing: false, lossRatio: 0 };
  it('is unknown without attempts, failing when judged failing, degraded on any loss or failing large probes, else ok', () => {
    expect(cellState({ ...cell, attempts: 0 })).toBe('unknown');
    expect(cellState({ ...cell, failing: true, lossRatio: 1 })).toBe('failing');
    expect(cellState({ ...cell, lossRatio: 0.17 })).toBe('degraded');
    expect(cellState({ ...cell, large: { attempts: 2, failures: 2, failing: true, sizeBytes: 1422 } })).toBe('degraded');
    expect(cellState({ ...cell, lossRatio: null })).toBe('ok');
    expect(cellState(cell)).toBe('ok');
  });
});
