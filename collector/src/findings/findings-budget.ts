// A budget on findings per node: what one node's reports can make the collector keep and
// show is bounded, whatever they say (a made-up peer set, a report naming thousands of peers
// one way only). A finding counts against every node it names; it is kept only while each of
// them is under the budget. Findings already open go first (an open finding is never
// resolved to make room), then root causes, then the rest in detector order.
import type { FindingCandidate } from '../detectors/finding-candidate.ts';
import { isRootCauseKind } from '../detectors/finding-kinds.ts';

export interface FindingsBudgetResult {
  kept: FindingCandidate[];
  /** Per node over its budget: how many candidates naming it were left out this pass. */
  dropped: Map<string, number>;
  /** The candidates left out this pass. */
  left: FindingCandidate[];
}

export function limitFindingsPerNode(
  candidates: FindingCandidate[],
  maxPerNode: number,
  isOpen: (id: string) => boolean,
): FindingsBudgetResult {
  if (maxPerNode <= 0) return { kept: candidates, dropped: new Map(), left: [] };
  const rank = (c: FindingCandidate): number => (isOpen(c.id) ? 0 : isRootCauseKind(c.kind) ? 1 : 2);
  // A stable sort by rank keeps each detector's own order inside a rank.
  const ordered = candidates
    .map((candidate, index) => ({ candidate, index, rank: rank(candidate) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index);
  const counts = new Map<string, number>();
  const keptIndexes = new Set<number>();
  const dropped = new Map<string, number>();
  const left: FindingCandidate[] = [];
  for (const { candidate, index } of ordered) {
    const over = candidate.nodes.filter((node) => (counts.get(node) ?? 0) >= maxPerNode);
    if (over.length > 0) {
      for (const node of over) dropped.set(node, (dropped.get(node) ?? 0) + 1);
      left.push(candidate);
      continue;
    }
    for (const node of candidate.nodes) counts.set(node, (counts.get(node) ?? 0) + 1);
    keptIndexes.add(index);
  }
  // Back in the detectors' order: the engine's list orders findings itself.
  return { kept: candidates.filter((_, index) => keptIndexes.has(index)), dropped, left };
}
