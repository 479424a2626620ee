// Findings as terminal text: root cause first with evidence and what to do, its symptoms
// indented beneath it.
import type { ApiFinding } from './api-types.ts';
import { findingTree, type FindingNode } from './finding-tree.ts';
import { clean, type Palette } from './palette.ts';

export function formatAge(iso: string | undefined, nowMs: number): string {
  const ms = nowMs - Date.parse(iso ?? '');
  if (!Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m ago`;
}

export function severityLabel(severity: string, palette: Palette): string {
  if (severity === 'critical') return palette.red(palette.bold('✕ CRITICAL'));
  if (severity === 'warning') return palette.yellow(palette.bold('! WARNING'));
  return palette.dim(`i ${clean(severity).toUpperCase()}`);
}

export interface FindingsFormat {
  palette: Palette;
  nowMs: number;
  /** full: evidence and remediation for every finding; compact: for root causes only, symptoms on one line; wide: full plus ids. */
  detail: 'full' | 'compact' | 'wide';
}

function formatNode(node: FindingNode, options: FindingsFormat, depth: number, out: string[]): void {
  const { palette: p, nowMs } = options;
  const f = node.finding;
  const pad = '    '.repeat(depth);
  const role = depth > 0 ? 'symptom' : node.children.length > 0 ? 'root cause' : '';
  const when = f.state === 'resolved' ? `resolved ${formatAge(f.resolvedAt, nowMs)}` : `since ${formatAge(f.since, nowMs)}`;
  const tags = [role, when].filter(Boolean).join(', ');
  out.push(`${pad}${severityLabel(f.severity, p)}  ${p.bold(clean(f.kind))}  ${clean((f.nodes ?? []).join(', '))}  ${p.dim(`(${tags})`)}`);
  out.push(`${pad}  ${clean(f.summary)}`);
  if (options.detail === 'wide') out.push(`${pad}  ${p.dim(`id: ${clean(f.id)}${f.peer ? `  peer: ${clean(f.peer)}` : ''}`)}`);
  const detailed = options.detail !== 'compact' || depth === 0;
  if (detailed && (f.evidence ?? []).length > 0) {
    out.push(`${pad}  evidence:`);
    for (const line of f.evidence ?? []) out.push(`${pad}    - ${clean(line)}`);
  }
  if (detailed && (f.remediation ?? []).length > 0) {
    out.push(`${pad}  what to do:`);
    (f.remediation ?? []).forEach((line, i) => out.push(`${pad}    ${i + 1}. ${clean(line)}`));
  }
  if (node.children.length > 0) {
    out.push(`${pad}  explains:`);
    for (const child of node.children) formatNode(child, options, depth + 1, out);
  }
}

export function formatFindings(findings: readonly ApiFinding[], options: FindingsFormat): string {
  if (findings.length === 0) return `${options.palette.green('·')} No open findings.`;
  const out: string[] = [];
  findingTree(findings).forEach((node, i) => {
    if (i > 0) out.push('');
    formatNode(node, options, 0, out);
  });
  return out.join('\n');
}

/** One line: "CRITICAL: 3 open findings (3 critical, 1 root cause)" or "OK: no open findings". */
export function findingsHeadline(findings: readonly ApiFinding[], palette: Palette): string {
  const open = findings.filter((f) => (f.state ?? 'open') === 'open');
  if (open.length === 0) return `${palette.green(palette.bold('OK'))}: no open findings`;
  const critical = open.filter((f) => f.severity === 'critical').length;
  const warning = open.filter((f) => f.severity === 'warning').length;
  const roots = findingTree(open).length;
  const label = critical ? palette.red(palette.bold('CRITICAL')) : warning ? palette.yellow(palette.bold('WARNING')) : palette.bold('INFO');
  const counts = [
    critical ? `${critical} critical` : '',
    warning ? `${warning} warning` : '',
    `${roots} root cause${roots === 1 ? '' : 's'}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${label}: ${open.length} open finding${open.length === 1 ? '' : 's'} (${counts})`;
}
