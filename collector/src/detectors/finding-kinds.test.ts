// The finding-kinds table against what depends on it: every detector's kind is declared,
// the table's relations are acyclic, and the shipped alert rules and runbooks match it (one
// alert per kind, with the table's severity, a `netsentry_findings` or route expression for
// that kind, and its runbook file naming the kind).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultDetectors } from './index.ts';
// Kinds the collector adds with the Kubernetes API on (collector.ts wires them beside the defaults).
import { nodeRecordMismatchKind } from '../kubernetes/record-mismatch.ts';
import { findingKind, findingKinds, isRootCauseKind } from './finding-kinds.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
interface Rule {
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const rules: Rule[] = (
  parse(readFileSync(join(root, 'charts/netsentry/files/netsentry-alerts.yaml'), 'utf8')) as { groups: { rules: Rule[] }[] }
).groups.flatMap((g) => g.rules);

describe('finding kinds table', () => {
  it('declares every kind a detector owns, and nothing no detector produces', () => {
    const detectorKinds = [...defaultDetectors().map((d) => d.kind), nodeRecordMismatchKind].sort();
    expect(findingKinds.map((k) => k.kind).sort()).toEqual(detectorKinds);
  });

  it('names only declared kinds as explainable, and no kind explains itself through a cycle', () => {
    for (const k of findingKinds)
      for (const explained of Object.keys(k.explains)) expect(() => findingKind(explained), `${k.kind} → ${explained}`).not.toThrow();
    const reaches = (from: string, seen = new Set<string>()): Set<string> => {
      for (const next of Object.keys(findingKind(from).explains)) if (!seen.has(next)) reaches(next, seen.add(next));
      return seen;
    };
    for (const k of findingKinds) expect(reaches(k.kind).has(k.kind), `${k.kind} explains itself`).toBe(false);
    expect(isRootCauseKind('OverlayRouteMissing')).toBe(true);
    expect(isRootCauseKind('AsymmetricReachability')).toBe(false);
  });

  it.each(findingKinds.map((k) => [k.kind, k] as const))('%s: its alert exists and its runbook names the kind', (name, k) => {
    const rule = rules.find((r) => r.alert === k.alert);
    expect(rule, `alert ${k.alert} in the rules file`).toBeDefined();
    // The alert's severity is paging policy (docs/alerts.md: node-level problems warn after
    // 15 m, as kubernetes-mixin does); the finding's severity is how bad the problem is.
    expect(['warning', 'critical']).toContain(rule!.labels?.severity);
    expect(rule!.expr).toMatch(new RegExp(`kind="${name}"|netsentry_overlay_routes_missing`));
    expect(rule!.annotations?.runbook_url).toMatch(new RegExp(`/${k.runbook.replaceAll('.', '\\.')}$`));
    const runbook = join(root, k.runbook);
    expect(existsSync(runbook), runbook).toBe(true);
    expect(readFileSync(runbook, 'utf8')).toContain(`\`${name}\``);
  });

  it('fails for a kind nobody declared', () => {
    expect(() => findingKind('NoSuchKind')).toThrow(/not in the table/);
  });
});
