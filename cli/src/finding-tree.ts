// Root causes first: a finding explained by another open finding goes beneath the first one
// that explains it (the page's app.js does the same for the browser).
import type { ApiFinding } from './api-types.ts';

export interface FindingNode {
  finding: ApiFinding;
  children: FindingNode[];
}

export function findingTree(findings: readonly ApiFinding[]): FindingNode[] {
  const ids = new Set(findings.map((f) => f.id));
  const parentOf = new Map<string, string>();
  for (const f of findings) {
    if (f.state === 'resolved') continue; // a resolved finding no longer explains anything
    for (const id of f.explains ?? []) if (ids.has(id) && id !== f.id && !parentOf.has(id)) parentOf.set(id, f.id);
  }
  // Nest only under a chain that ends at a root; members of an explains cycle stay top-level.
  const rooted = (id: string, seen = new Set<string>()): boolean => {
    const parent = parentOf.get(id);
    if (parent === undefined) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return rooted(parent, seen);
  };
  const build = (f: ApiFinding): FindingNode => ({ finding: f, children: findings.filter((c) => parentOf.get(c.id) === f.id && rooted(c.id)).map(build) });
  return findings.filter((f) => !rooted(f.id) || !parentOf.has(f.id)).map(build);
}
