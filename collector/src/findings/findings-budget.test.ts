import { describe, expect, it } from 'vitest';
import type { FindingCandidate } from '../detectors/finding-candidate.ts';
import { limitFindingsPerNode } from './findings-budget.ts';

const candidate = (kind: string, nodes: string[]): FindingCandidate => ({
  id: `${kind}:${nodes.join(':')}`,
  kind,
  severity: 'warning',
  nodes,
  summary: '',
  evidence: [],
  remediation: [],
  explains: [],
});
const pairs = (from: string, count: number) =>
  Array.from({ length: count }, (_, i) => candidate('AsymmetricReachability', [from, `peer-${i}`]));

describe('findings per node budget', () => {
  it('keeps everything under the budget, and everything with no budget', () => {
    const all = pairs('node-1', 5);
    expect(limitFindingsPerNode(all, 5, () => false)).toMatchObject({ kept: all, left: [] });
    expect(limitFindingsPerNode(pairs('node-1', 500), 0, () => false).kept).toHaveLength(500);
  });

  it("bounds what one node makes, counts per node, and leaves the other nodes' findings alone", () => {
    const others = [candidate('OverlayRouteMissing', ['node-2']), candidate('LinkDown', ['node-3'])];
    const result = limitFindingsPerNode([...pairs('made-up', 1_000), ...others], 10, () => false);
    expect(result.kept.filter((c) => c.nodes.includes('made-up'))).toHaveLength(10);
    expect(result.kept).toEqual(expect.arrayContaining(others));
    expect(result.left).toHaveLength(990);
    expect(result.dropped).toEqual(new Map([['made-up', 990]]));
  });

  it('keeps open findings first, then root causes, so the budget never resolves an open finding or hides a root cause', () => {
    const symptoms = pairs('node-1', 3);
    const rootCause = candidate('OverlayRouteMissing', ['node-1']);
    const open = symptoms[2]!;
    const result = limitFindingsPerNode([...symptoms, rootCause], 2, (id) => id === open.id);
    expect(result.kept).toEqual([open, rootCause]);
    expect(result.left).toEqual([symptoms[0], symptoms[1]]);
  });
});
