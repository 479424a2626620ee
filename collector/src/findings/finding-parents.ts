// Which finding each finding is shown beneath (ApiFinding.parent), decided once here so the
// page and the CLI draw the same tree: the first open finding in the list that explains it,
// provided that chain ends at a root (the members of an explains cycle stay top-level).
// A resolved or pending finding explains nothing: its symptoms stand on their own.
import type { Finding } from './finding.ts';

export function withParents(findings: readonly Finding[]): Finding[] {
  const ids = new Set(findings.map((f) => f.id));
  const parentOf = new Map<string, string>();
  for (const f of findings) {
    if (f.state !== 'open') continue;
    for (const id of f.explains) if (ids.has(id) && id !== f.id && !parentOf.has(id)) parentOf.set(id, f.id);
  }
  const rooted = (id: string): boolean => {
    const seen = new Set<string>();
    for (let at: string | undefined = id; at !== undefined; at = parentOf.get(at)) {
      if (seen.has(at)) return false;
      seen.add(at);
    }
    return true;
  };
  return findings.map((f) => {
    const parent = parentOf.get(f.id);
    return parent !== undefined && rooted(f.id) ? { ...f, parent } : f;
  });
}
