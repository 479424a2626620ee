// A finding as the HTTP API and the page show it (shared/src/api-types.ts): a detector's
// candidate plus its life cycle.
import type { ApiFinding, ApiFindingState } from '../../../shared/src/api-types.ts';
import type { FindingCandidate } from '../detectors/finding-candidate.ts';

export type FindingState = ApiFindingState;
export type Finding = ApiFinding;

/** The engine's record; times in ms. */
export interface FindingRecord {
  candidate: FindingCandidate;
  sinceMs: number;
  state: FindingState;
  resolvedAtMs?: number;
}

export function toFinding(record: FindingRecord): Finding {
  const c = record.candidate;
  return {
    id: c.id,
    kind: c.kind,
    severity: c.severity,
    nodes: [...c.nodes],
    ...(c.peer !== undefined ? { peer: c.peer } : {}),
    summary: c.summary,
    evidence: [...c.evidence],
    remediation: [...c.remediation],
    since: new Date(record.sinceMs).toISOString(),
    explains: [...c.explains],
    state: record.state,
    ...(record.resolvedAtMs !== undefined ? { resolvedAt: new Date(record.resolvedAtMs).toISOString() } : {}),
  };
}

export function sameCandidate(a: FindingCandidate, b: FindingCandidate): boolean {
  const list = (x: string[], y: string[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.severity === b.severity &&
    a.summary === b.summary &&
    a.peer === b.peer &&
    list(a.nodes, b.nodes) &&
    list(a.evidence, b.evidence) &&
    list(a.remediation, b.remediation) &&
    list(a.explains, b.explains)
  );
}
