// Links every root cause to the symptoms it explains, from the finding-kinds table: a
// candidate R explains a candidate S when S's kind is one R's kind may explain and S lies
// within R's reach (finding-kinds.ts). Detectors may list ids themselves too; both count.
// Indexed by node, so a pass costs O(candidates × their neighbours), not O(candidates²).
import type { FindingCandidate } from './finding-candidate.ts';
import { findingKinds, type Reach } from './finding-kinds.ts';

function within(reach: Reach, root: FindingCandidate, symptom: FindingCandidate): boolean {
  const own = new Set(root.nodes);
  if (reach === 'pointing') return (symptom.related?.length ?? 0) > 0 && symptom.related!.every((n) => own.has(n));
  if (!symptom.nodes.some((n) => own.has(n))) return false;
  if (reach === 'touching') return true;
  if (reach === 'node') return symptom.nodes.every((n) => own.has(n));
  const pointedAt = new Set(root.related ?? []);
  return symptom.nodes.every((n) => own.has(n) || pointedAt.has(n));
}

/** Returns the candidates with `explains` completed (new objects where it grew). */
export function linkSymptoms(candidates: readonly FindingCandidate[]): FindingCandidate[] {
  // By every node a candidate names or points at: where a root cause looks for its symptoms.
  const byNode = new Map<string, FindingCandidate[]>();
  for (const c of candidates)
    for (const n of new Set([...c.nodes, ...(c.related ?? [])])) (byNode.get(n) ?? byNode.set(n, []).get(n)!).push(c);
  return candidates.map((root) => {
    const explains = findingKinds.find((k) => k.kind === root.kind)?.explains ?? {};
    if (Object.keys(explains).length === 0) return root;
    const ids = new Set(root.explains);
    for (const n of root.nodes) {
      for (const symptom of byNode.get(n) ?? []) {
        const reach = explains[symptom.kind];
        if (reach === undefined || symptom.id === root.id || ids.has(symptom.id)) continue;
        if (within(reach, root, symptom)) ids.add(symptom.id);
      }
    }
    return ids.size === root.explains.length ? root : { ...root, explains: [...ids] };
  });
}
