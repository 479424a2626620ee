// Root causes first: each finding beneath its `parent` as the collector decided it
// (shared/src/api-types.ts); the page draws the same tree from the same field.
import type { ApiFinding } from './api-types.ts';

export interface FindingNode {
  finding: ApiFinding;
  children: FindingNode[];
}

export function findingTree(findings: readonly ApiFinding[]): FindingNode[] {
  const ids = new Set(findings.map((f) => f.id));
  // A parent outside this answer (e.g. filtered out) leaves the finding at the top.
  const parentOf = (f: ApiFinding): string | undefined => (f.parent !== undefined && ids.has(f.parent) ? f.parent : undefined);
  const build = (f: ApiFinding): FindingNode => ({ finding: f, children: findings.filter((c) => parentOf(c) === f.id).map(build) });
  return findings.filter((f) => parentOf(f) === undefined).map(build);
}
