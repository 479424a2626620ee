import { describe, expect, it } from 'vitest';
import { exitCodeForFindings } from './exit-codes.ts';
import { findingsHeadline, formatFindings } from './format-findings.ts';
import { formatMatrix, networkGrids } from './format-matrix.ts';
import { formatNodes, nodesHeadline } from './format-nodes.ts';
import { ansiPalette, clean, plainPalette, useColour } from './palette.ts';
import type { CellState } from './api-types.ts';
import { brokenMatrix, nodes, nowMs, rootFinding, symptomFinding } from '../../test/fixtures/cli-fixtures.ts';

describe('terminal formatting', () => {
  it('prints the root cause first with evidence and what to do, its symptom beneath', () => {
    const text = formatFindings([symptomFinding, rootFinding], { palette: plainPalette, nowMs, detail: 'compact' });
    expect(text).toBe(
      [
        '✕ CRITICAL  OverlayRouteMissing  node-2  (root cause, since 2m ago)',
        '  node-2 is missing overlay routes to 3 of 3 peers (route)',
        '  evidence:',
        '    - node-1: route missing (expected 198.18.1.0/24 via 198.18.1.0 dev flannel.1 onlink)',
        '  what to do:',
        '    1. Check the flannel pod on node-2',
        '    2. Restart the flannel pod on node-2',
        '  explains:',
        '    ✕ CRITICAL  NodeIsolated  node-2  (symptom, since 1m ago)',
        '      node-2 cannot reach or be reached on the pod network',
      ].join('\n'),
    );
    expect(formatFindings([rootFinding, symptomFinding], { palette: plainPalette, nowMs, detail: 'full' })).toContain(
      '      evidence:\n        - node-2 → node-1: 6/6 lost',
    );
    expect(formatFindings([], { palette: plainPalette, nowMs, detail: 'full' })).toBe('· No open findings.');
  });

  it("nests by the collector's parent only: a resolved root (findings --all) leaves its symptom at the top, as the page does", () => {
    const resolvedRoot = { ...rootFinding, state: 'resolved' as const, resolvedAt: '2026-01-01T00:01:30Z' };
    const standing = { ...symptomFinding, parent: undefined };
    const text = formatFindings([resolvedRoot, standing], { palette: plainPalette, nowMs, detail: 'compact' });
    expect(text).not.toContain('explains:');
    expect(text).toContain('\n✕ CRITICAL  NodeIsolated  node-2');
  });

  it('says how bad in one headline', () => {
    expect(findingsHeadline([], plainPalette)).toBe('OK: no open findings');
    expect(findingsHeadline([rootFinding, symptomFinding], plainPalette)).toBe('CRITICAL: 2 open findings (2 critical, 1 root cause)');
    expect(findingsHeadline([{ ...rootFinding, severity: 'warning', explains: [] }], plainPalette)).toBe(
      'WARNING: 1 open finding (1 warning, 1 root cause)',
    );
  });

  it('maps open findings to exit codes: 0 healthy, 1 warnings only, 2 critical', () => {
    expect(exitCodeForFindings([])).toBe(0);
    expect(exitCodeForFindings([{ severity: 'info' }])).toBe(0);
    expect(exitCodeForFindings([{ severity: 'warning' }])).toBe(1);
    expect(exitCodeForFindings([{ severity: 'warning' }, { severity: 'critical' }])).toBe(2);
    expect(exitCodeForFindings([{ severity: 'critical', state: 'resolved' }])).toBe(0);
  });

  it('draws a compact matrix, worst of UDP and TCP, with the broken node marked', () => {
    expect(formatMatrix(brokenMatrix('node-2'), plainPalette)).toBe(
      [
        'pod network (udp+tcp, worst of; rows → columns): ✕ failing  ! degraded  · ok  blank no data',
        '            1 2 3 4',
        '  1 node-1  - ✕ · ·',
        '✕ 2 node-2  ✕ - ✕ ✕',
        '  3 node-3  · ✕ - ·',
        '  4 node-4  · ✕ · -',
        '✕ before a node: named by an open finding, or failing on at least half of its pairs',
      ].join('\n'),
    );
    expect(formatMatrix({ matrices: [] }, plainPalette)).toBe('Reachability: no probe data yet.');
    // Marked as the collector marks it: named by a finding too, e.g. before the first probes fail.
    expect(formatMatrix(brokenMatrix(undefined, ['node-2']), plainPalette)).toContain('✕ 2 node-2  · - · ·');
    expect(formatMatrix(brokenMatrix(undefined), plainPalette)).toContain('  2 node-2  · - · ·');
  });

  it('keeps 100 nodes to one character per column with stacked column numbers', () => {
    const many = Array.from({ length: 100 }, (_, i) => `n${i + 1}`);
    const grid = networkGrids({ matrices: [{ network: 'host', protocol: 'udp', nodes: many, cells: [] }] });
    const lines = formatMatrix({ matrices: [{ network: 'host', protocol: 'udp', nodes: many, cells: [] }] }, plainPalette, {
      full: true,
    }).split('\n');
    expect(grid[0]!.nodes.slice(0, 3)).toEqual(['n1', 'n2', 'n3']);
    expect(lines).toHaveLength(1 + 3 + 100);
    expect(lines[3]!.trimStart().startsWith('1234567890')).toBe(true);
    expect(Math.max(...lines.slice(1).map((l) => l.length))).toBeLessThanOrEqual(2 + 3 + 1 + 4 + 2 + 100);
  });

  it('summarizes a grid above 40 nodes to its worst rows; pairs with the marked node count only on its row', () => {
    const many = Array.from({ length: 41 }, (_, i) => `n${i + 1}`);
    const stateOf = (s: string, d: string): CellState =>
      s === 'n2' || d === 'n2' || (s === 'n5' && d === 'n9') ? 'failing' : s === 'n30' && d === 'n31' ? 'degraded' : 'ok';
    const cells = many.flatMap((s) =>
      many.filter((d) => d !== s).map((d) => ({ source: s, destination: d, attempts: 3, state: stateOf(s, d) })),
    );
    const marks = [{ node: 'n2', level: 'critical' as const, reasons: ['fails 80 of 80 pairs on host/udp'], failing: 80 }];
    const text = formatMatrix({ matrices: [{ network: 'host', protocol: 'udp', nodes: many, cells, marks }] }, plainPalette);
    expect(text.split('\n')).toEqual([
      'host network (udp, worst of): 41 nodes, the 4 worst of 4 with problems (-o wide: the full matrix)',
      '  NODE  OUT FAILING  IN FAILING  DEGRADED',
      '✕ n2    40/40        40/40       0',
      '  n5    1/39         0/39        0',
      '  n9    0/39         1/39        0',
      '  n30   0/39         0/39        1',
      '  37 more nodes: the rest ok',
      '✕ before a node: named by an open finding, or failing on at least half of its pairs',
    ]);
    const healthy = formatMatrix({ matrices: [{ network: 'host', protocol: 'udp', nodes: many, cells: [] }] }, plainPalette);
    expect(healthy).toBe(
      'host network (udp, worst of): 41 nodes, no failing or degraded pair (-o wide: the full matrix)\n  every measured pair ok (41 nodes with no data yet)',
    );
  });

  it('lists nodes with agents, overlay, MTU, conntrack and the overlay check', () => {
    const text = formatNodes(nodes, nowMs, plainPalette);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^NODE\s+HOST AGENT\s+POD AGENT\s+OVERLAY\s+MTU O\/U\s+CONNTRACK\s+OVERLAY CHECK$/);
    expect(lines[2]).toMatch(
      /^node-2\s+● up 1s ago\s+● up 2s ago\s+flannel\.1 flannel-vxlan vni 1\s+1450\/1500\s+0% 120\/262144\s+✕ 0\/3 ok: node-1 route missing; node-3 route missing; node-4 route missing$/,
    );
    expect(lines[1]).toMatch(/· 3\/3 ok$/);
    expect(nodesHeadline(nodes)).toBe('4 nodes: 4/4 host agents, 4/4 pod agents connected');
  });

  it('colours only a TTY without NO_COLOR, and strips control characters from agent text', () => {
    expect(useColour(true, {})).toBe(true);
    expect(useColour(true, { NO_COLOR: '1' })).toBe(false);
    expect(useColour(true, { NO_COLOR: '' })).toBe(true);
    expect(useColour(false, {})).toBe(false);
    expect(formatFindings([rootFinding], { palette: ansiPalette, nowMs, detail: 'full' })).toContain('\u001b[31m');
    expect(clean('node-\u001b[2J\n2')).toBe('node-\ufffd[2J\ufffd2');
  });
});
