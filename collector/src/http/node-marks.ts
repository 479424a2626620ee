// Which nodes the page and the CLI mark on a matrix, and why (ApiNodeMark): the one place
// that decides it, so the two renderers cannot disagree.
import type { ApiNodeMark } from '../../../shared/src/api-types.ts';

export interface MarkingFinding {
  kind: string;
  severity: string;
  nodes: readonly string[];
  state?: string;
}

export interface MatrixCounts {
  /** Failing on at least half of the pairs it takes part in. */
  broken: ReadonlyMap<string, { failing: number; measured: number }>;
  /** Failing pairs a node takes part in, either direction. */
  failingOf(node: string): number;
}

const naturalCompare = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

export function nodeMarks(
  findings: readonly MarkingFinding[],
  counts: MatrixCounts,
  matrix: { network: string; protocol: string },
): ApiNodeMark[] {
  const marks = new Map<string, ApiNodeMark>();
  const mark = (node: string, level: ApiNodeMark['level'], reason: string): void => {
    const current = marks.get(node) ?? { node, level: 'warning', reasons: [], failing: counts.failingOf(node) };
    if (level === 'critical') current.level = 'critical';
    current.reasons.push(reason);
    marks.set(node, current);
  };
  for (const f of findings) {
    if (f.state !== undefined && f.state !== 'open') continue;
    for (const node of f.nodes) mark(node, f.severity === 'critical' ? 'critical' : 'warning', `${f.kind} (${f.severity})`);
  }
  for (const [node, b] of counts.broken)
    mark(node, 'critical', `fails ${b.failing} of ${b.measured} pairs on ${matrix.network}/${matrix.protocol}`);
  return [...marks.values()].sort((a, b) => naturalCompare(a.node, b.node));
}
