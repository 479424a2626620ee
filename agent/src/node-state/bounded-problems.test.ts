import { describe, expect, it } from 'vitest';
import { OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { boundProblems } from './bounded-problems.ts';

const missing = (peer: string) => ({ peer, parts: [{ part: OverlayPart.ROUTE, problem: Problem.MISSING, expected: 'r', actual: '' }] });

describe('boundProblems', () => {
  it('lists the first peers by name and counts every peer per part and problem', () => {
    const problems = [
      missing('node-5'),
      missing('node-2'),
      { peer: 'node-9', parts: [{ part: OverlayPart.FDB, problem: Problem.WRONG_DESTINATION, expected: 'a', actual: 'b' }] },
      missing('node-1'),
    ];
    const bounded = boundProblems(problems, 2);
    expect(bounded.problems.map((p) => p.peer)).toEqual(['node-1', 'node-2']);
    expect(bounded.partCounts.map((c) => [c.part, c.problem, c.peers])).toEqual([
      [OverlayPart.ROUTE, Problem.MISSING, 3],
      [OverlayPart.FDB, Problem.WRONG_DESTINATION, 1],
    ]);
  });

  it('keeps a short list whole and in its order', () => {
    expect(boundProblems([missing('b'), missing('a')], 5).problems.map((p) => p.peer)).toEqual(['b', 'a']);
  });
});
