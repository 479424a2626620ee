import { describe, expect, it } from 'vitest';
import type { Finding } from './finding.ts';
import { withParents } from './finding-parents.ts';

const finding = (id: string, over: Partial<Finding> = {}): Finding => ({
  id,
  kind: id.split(':')[0]!,
  severity: 'critical',
  nodes: ['node-2'],
  summary: 's',
  evidence: [],
  remediation: [],
  since: '2026-01-01T00:00:00Z',
  explains: [],
  state: 'open',
  ...over,
});
const parents = (findings: Finding[]) => withParents(findings).map((f) => [f.id, f.parent]);

describe('finding parents (the tree the page and the CLI draw)', () => {
  it('puts each symptom beneath the first open finding that explains it', () => {
    const root = finding('OverlayRouteMissing:node-2', { explains: ['NodeIsolated:node-2', 'DnsFailure:node-2'] });
    const isolated = finding('NodeIsolated:node-2', { explains: ['DnsFailure:node-2'] });
    expect(parents([root, isolated, finding('DnsFailure:node-2'), finding('ConntrackPressure:node-3')])).toEqual([
      ['OverlayRouteMissing:node-2', undefined],
      ['NodeIsolated:node-2', 'OverlayRouteMissing:node-2'],
      ['DnsFailure:node-2', 'OverlayRouteMissing:node-2'],
      ['ConntrackPressure:node-3', undefined],
    ]);
  });

  it("a resolved or pending finding is nobody's parent (?state=all shows its symptoms on their own, as ?state=open does)", () => {
    const resolved = finding('OverlayRouteMissing:node-2', { state: 'resolved', explains: ['NodeIsolated:node-2'] });
    const pending = finding('MtuMismatch:node-2', { state: 'pending', explains: ['NodeIsolated:node-2'] });
    expect(parents([resolved, pending, finding('NodeIsolated:node-2')])).toEqual([
      ['OverlayRouteMissing:node-2', undefined],
      ['MtuMismatch:node-2', undefined],
      ['NodeIsolated:node-2', undefined],
    ]);
  });

  it('leaves the members of an explains cycle at the top, hiding neither; ignores ids not in the answer and self-reference', () => {
    expect(parents([finding('A:n', { explains: ['B:n'] }), finding('B:n', { explains: ['A:n'] })])).toEqual([
      ['A:n', undefined],
      ['B:n', undefined],
    ]);
    expect(parents([finding('A:n', { explains: ['A:n', 'Gone:n'] })])).toEqual([['A:n', undefined]]);
  });
});
