import { describe, expect, it } from 'vitest';
import { createIngestPacer, type Pausable } from './ingest-pacer.ts';

function stream(): Pausable & { paused: boolean } {
  const s = { paused: false, pause: () => (s.paused = true), resume: () => (s.paused = false) };
  return s;
}

describe('ingest pacer', () => {
  it('pauses the streams that deliver past the turn budget and resumes them all on the next turn', () => {
    let now = 0;
    const turns: (() => void)[] = [];
    const pacer = createIngestPacer({ turnBudgetMs: 50, now: () => now, nextTurn: (release) => turns.push(release) });
    const [a, b, c] = [stream(), stream(), stream()];
    const fold = (ms: number) => () => void (now += ms);
    pacer.run(a, fold(30));
    expect(a.paused).toBe(false);
    pacer.run(b, fold(30)); // 60 ms this turn: over
    pacer.run(c, fold(1));
    expect([a.paused, b.paused, c.paused]).toEqual([false, true, true]);
    expect(pacer.held).toBe(2);
    expect(turns).toHaveLength(1);
    turns[0]!();
    expect([b.paused, c.paused]).toEqual([false, false]);
    expect(pacer.held).toBe(0);
    // A fresh turn: a fresh budget.
    pacer.run(a, fold(40));
    expect(a.paused).toBe(false);
  });

  it('counts a fold that throws, and rethrows it', () => {
    let now = 0;
    const pacer = createIngestPacer({ turnBudgetMs: 10, now: () => now, nextTurn: () => undefined });
    const s = stream();
    expect(() =>
      pacer.run(s, () => {
        now += 20;
        throw new Error('bad');
      }),
    ).toThrow('bad');
    expect(s.paused).toBe(true);
  });

  it('does nothing with a zero budget', () => {
    const pacer = createIngestPacer({ turnBudgetMs: 0, now: () => 1e9, nextTurn: () => undefined });
    const s = stream();
    let folded = 0;
    pacer.run(s, () => void (folded += 1));
    expect([folded, s.paused, pacer.held]).toEqual([1, false, 0]);
  });
});
