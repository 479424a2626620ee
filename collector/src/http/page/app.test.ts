// The page's pure rendering functions, imported under Node (start() only runs in a browser).
import { describe, expect, it } from 'vitest';
import { withMarks } from '../../../../test/fixtures/matrix-marks.ts';
import * as pageModule from './app.js';

// Plain browser JS (allowJs, unchecked): its inferred types are loose, so the tests treat it as any.
const page: any = pageModule;

const now = Date.parse('2026-01-01T00:01:00Z');
const finding = (over: Record<string, unknown>) => ({
  id: 'X:node-2',
  kind: 'X',
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
// Cells as the collector serves them, with their state (matrix-view.ts decides it).
const cell = (source: string, destination: string, over: Record<string, unknown> = {}) => ({
  source,
  destination,
  state: 'ok',
  attempts: 6,
  failures: 0,
  lossRatio: 0,
  rttP50Seconds: 0.0002,
  rttP95Seconds: 0.0004,
  failing: false,
  ...over,
});
const names = ['node-1', 'node-2', 'node-3', 'node-4'];
const meshWithBroken = (broken: string) => ({
  network: 'pod',
  protocol: 'udp',
  nodes: names,
  cells: names.flatMap((s) =>
    names
      .filter((d) => d !== s)
      .map((d) =>
        s === broken || d === broken
          ? cell(s, d, { state: 'failing', failures: 6, lossRatio: 1, failing: true, rttP50Seconds: null })
          : cell(s, d),
      ),
  ),
});

describe('page rendering', () => {
  it('escapes everything that came from agents, in text and in attributes', () => {
    const evil = '<img src=x onerror=alert(1)>"\'`';
    const html = page.renderFindings(
      [finding({ kind: evil, nodes: [evil], summary: evil, evidence: [evil], remediation: [evil], id: evil })],
      now,
    );
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&#96;');
    const matrix = { network: 'pod', protocol: 'udp', nodes: [evil, 'node-1'], cells: [cell(evil, 'node-1', { direction: evil })] };
    const marks = page.nodeMarks(withMarks(matrix, [finding({ nodes: [evil] })]));
    const m = page.renderMatrix(matrix, marks, 'name');
    expect(m).not.toContain('<img');
    expect(m).not.toMatch(/"[^"]*"'/); // no raw quote breaks out of an attribute
    const n = page.renderNodes(
      [
        {
          name: evil,
          hostAgent: {
            connected: true,
            lastSeen: '2026-01-01T00:00:59Z',
            agentVersion: evil,
            addresses: [evil],
            overlay: { kind: 'flannel-vxlan', name: evil, vni: 1 },
            overlayCheck: {
              peersOk: 0,
              peersChecked: 1,
              problems: [{ peer: evil, parts: [{ part: 'route', problem: 'missing', expected: evil, actual: evil }] }],
            },
          },
        },
      ],
      marks,
      'name',
      now,
    );
    expect(n).not.toContain('<img');
  });

  it('says so when there are no findings', () => {
    expect(page.renderFindings([], now)).toContain('No open findings');
    expect(page.renderStatus([])).toEqual({ cls: 'ok', text: '· Healthy: no open findings.' });
  });

  it('nests symptoms beneath the root cause that explains them, with evidence and remediation', () => {
    const root = finding({
      id: 'OverlayRouteMissing:node-2',
      kind: 'OverlayRouteMissing',
      explains: ['NodeIsolated:node-2', 'DnsFailure:node-2'],
      evidence: ['node-1: route missing'],
      remediation: ['Restart the flannel pod on node-2'],
    });
    const isolated = finding({
      id: 'NodeIsolated:node-2',
      kind: 'NodeIsolated',
      explains: ['DnsFailure:node-2'],
      parent: 'OverlayRouteMissing:node-2',
    });
    const dns = finding({ id: 'DnsFailure:node-2', kind: 'DnsFailure', parent: 'OverlayRouteMissing:node-2' });
    const other = finding({ id: 'ConntrackPressure:node-3', kind: 'ConntrackPressure', severity: 'warning', nodes: ['node-3'] });
    const tree = page.findingTree([root, isolated, dns, other]);
    expect(tree.map((t: any) => t.finding.id)).toEqual(['OverlayRouteMissing:node-2', 'ConntrackPressure:node-3']);
    expect(tree[0].children.map((t: any) => t.finding.id)).toEqual(['NodeIsolated:node-2', 'DnsFailure:node-2']);
    const html = page.renderFindings([root, isolated, dns, other], now);
    expect(html.indexOf('OverlayRouteMissing')).toBeLessThan(html.indexOf('NodeIsolated'));
    expect(html).toContain('root cause');
    expect(html).toContain('Restart the flannel pod on node-2');
    expect(html).toContain('✕ CRITICAL');
    expect(html).toContain('! WARNING');
    expect(html).toContain('since 1m ago');
  });

  it("draws the tree from the collector's parent field alone, a parent outside the answer leaving the finding at the top", () => {
    // explains alone does not nest (the collector decides: a resolved root explains nothing).
    const resolvedRoot = finding({ id: 'A:n', explains: ['B:n'], state: 'resolved' });
    const symptom = finding({ id: 'B:n' });
    expect(page.findingTree([resolvedRoot, symptom]).map((t: any) => t.finding.id)).toEqual(['A:n', 'B:n']);
    const orphan = finding({ id: 'C:n', parent: 'Gone:n' });
    expect(page.findingTree([orphan]).map((t: any) => t.finding.id)).toEqual(['C:n']);
  });

  it('gives every cell a symbol as well as a colour, and numbers in its title', () => {
    expect(page.cellState(undefined)).toBe('unk');
    expect(page.cellState(cell('a', 'b'))).toBe('ok');
    expect(page.cellState(cell('a', 'b', { state: 'degraded', failures: 1, lossRatio: 0.17 }))).toBe('deg');
    expect(page.cellState(cell('a', 'b', { state: 'failing', failing: true }))).toBe('fail');
    expect(page.cellState(cell('a', 'b', { state: 'unknown', attempts: 0 }))).toBe('unk');
    expect(page.cellState(cell('a', 'b', { state: 'a state this page does not know' }))).toBe('unk');
    const title = page.cellTitle(
      'node-1',
      'node-2',
      { network: 'pod', protocol: 'udp' },
      cell('node-1', 'node-2', { state: 'failing', failures: 6, lossRatio: 1, failing: true, direction: 'request-lost' }),
    );
    expect(title).toBe('node-1 → node-2 (pod/udp): failing\nloss 100% (6/6 failed)\nRTT p50 200 µs, p95 400 µs\nrequests never arrive');
    const html = page.renderMatrix(meshWithBroken('node-2'), new Map(), 'name');
    expect(html.match(/>✕</g)).toHaveLength(6);
    expect(html.match(/>·</g)).toHaveLength(6);
  });

  it('marks the broken node (from the matrix and from findings), not its peers, and sorts it first', () => {
    const matrix = meshWithBroken('node-3');
    const marks = page.nodeMarks(withMarks(matrix));
    expect([...marks.keys()]).toEqual(['node-3']);
    expect(page.sortNodes(names, marks, 'problems')).toEqual(['node-3', 'node-1', 'node-2', 'node-4']);
    expect(page.sortNodes(['node-10', 'node-9', 'node-1'], marks, 'name')).toEqual(['node-1', 'node-9', 'node-10']);
    const html = page.renderMatrix(matrix, marks, 'problems');
    expect(html).toContain('<th scope="col" class="col-head broken mark-critical" data-node="node-3"');
    expect(html).toContain('<th scope="row" class="row-head broken mark-critical" data-node="node-3"');
    expect(html).not.toContain('broken mark-critical" data-node="node-1"');
    const byFinding = page.nodeMarks(
      withMarks({ network: 'host', protocol: 'tcp', cells: [] }, [finding({ nodes: ['node-4'], severity: 'warning' })]),
    );
    expect(byFinding.get('node-4')).toMatchObject({ level: 'warning' });
    expect(page.renderMatrix({ network: 'host', protocol: 'tcp', nodes: names, cells: [] }, byFinding, 'name')).toContain(
      'class="row-head broken mark-warning" data-node="node-4" title="node-4: X (warning)">! node-4',
    );
  });

  it('renders the node view: agents, overlay device, MTU, conntrack fill, overlay check per peer', () => {
    const host = {
      connected: true,
      lastSeen: '2026-01-01T00:00:58Z',
      agentVersion: '0.1.0',
      addresses: ['192.0.2.12'],
      overlay: { kind: 'flannel-vxlan', name: 'flannel.1', vni: 1, mtu: 1450, underlayMtu: 1500 },
      links: [{ name: 'flannel.1', role: 'overlay', present: true, mtu: 1400 }],
      conntrack: { available: true, entries: 950, maxEntries: 1000 },
      overlayCheck: {
        peersOk: 2,
        peersChecked: 3,
        problems: [{ peer: 'node-1', parts: [{ part: 'route', problem: 'missing', expected: 'e', actual: 'absent' }] }],
      },
    };
    const html = page.renderNodes([{ name: 'node-2', hostAgent: host }, { name: 'node-1' }], new Map(), 'name', now);
    expect(html.indexOf('node-1')).toBeLessThan(html.indexOf('node-2'));
    expect(html).toContain('● connected<br><small>seen 2s ago');
    expect(html).toContain('flannel.1 (flannel-vxlan, VNI 1)');
    expect(html).toContain('1400 / 1500');
    expect(html).toContain('95%');
    expect(html).toContain('class="conntrack bad"');
    expect(html).toContain('✕ 2/3 peers ok');
    expect(html).toContain('✕ node-1: route missing');
  });

  it('keeps the matrix layout key while only cell states change, so polls patch cells in place', () => {
    const healthy = {
      network: 'pod',
      protocol: 'udp',
      nodes: names,
      cells: names.flatMap((s) => names.filter((d) => d !== s).map((d) => cell(s, d))),
    };
    const degraded = {
      ...healthy,
      cells: healthy.cells.map((c, i) => (i === 0 ? { ...c, state: 'degraded', failures: 1, lossRatio: 0.17 } : c)),
    };
    const a = page.matrixLayout(healthy, new Map(), 'problems');
    const b = page.matrixLayout(degraded, new Map(), 'problems');
    expect(b.key).toBe(a.key);
    expect(page.matrixCells(b)[0]).toEqual({ cls: 'cell c-deg r0', symbol: '!', state: 'deg' });
    expect(page.matrixCells(b)).toHaveLength(12);
    const broken = meshWithBroken('node-2');
    expect(page.matrixLayout(broken, page.nodeMarks(withMarks(broken)), 'problems').key).not.toBe(a.key);
  });

  it("shows only the marked nodes' rows (all columns) and node-table rows when asked", () => {
    const matrix = meshWithBroken('node-3');
    const marks = page.nodeMarks(withMarks(matrix));
    const html = page.renderMatrix(matrix, marks, 'name', true);
    expect(html.match(/<th scope="row"/g)).toHaveLength(1);
    expect(html.match(/<th scope="col" class="col-head/g)).toHaveLength(4);
    expect(html.match(/<td class="cell c-fail"/g)).toHaveLength(3);
    expect(html).toContain('4 nodes (rows of 1 marked)');
    const nodes = names.map((name) => ({ name }));
    expect(page.renderNodes(nodes, marks, 'name', now, true).match(/<tr class=/g)).toHaveLength(1);
    expect(page.renderNodes(nodes, new Map(), 'name', now, true)).toContain('No marked node among 4.');
  });

  it('keeps the view in the URL fragment: only what differs from the defaults, unknown values ignored', () => {
    expect(page.viewFromHash('')).toEqual({ network: 'pod', protocol: 'udp', sort: 'problems', onlyMarked: false });
    const view = { network: 'host', protocol: 'tcp', sort: 'name', onlyMarked: true };
    expect(page.hashFromView(view)).toBe('#network=host&protocol=tcp&sort=name&only=marked');
    expect(page.viewFromHash(page.hashFromView(view))).toEqual(view);
    expect(page.hashFromView(page.defaultView)).toBe('');
    expect(page.viewFromHash('#network=<script>&protocol=tcp&sort=1')).toEqual({
      network: 'pod',
      protocol: 'tcp',
      sort: 'problems',
      onlyMarked: false,
    });
  });

  it('above 100 nodes shows the worst rows instead of an N² grid; marked rows only still draws the grid', () => {
    const many = Array.from({ length: 150 }, (_, i) => `n${i + 1}`);
    // A sampled mesh: each node probes its next 10; n7 fails every pair; n40 → n41 is degraded.
    const cells = many.flatMap((s, i) =>
      Array.from({ length: 10 }, (_, k) => many[(i + k + 1) % many.length]!).map((d) => {
        if (s === 'n7' || d === 'n7')
          return cell(s, d, { state: 'failing', failures: 6, lossRatio: 1, failing: true, rttP50Seconds: null });
        return s === 'n40' && d === 'n41' ? cell(s, d, { state: 'degraded', failures: 1, lossRatio: 0.17 }) : cell(s, d);
      }),
    );
    const matrix = { network: 'pod', protocol: 'udp', nodes: many, cells };
    const marks = page.nodeMarks(withMarks(matrix, [finding({ id: 'OverlayRouteMissing:n7', nodes: ['n7'] })]));
    const rows = page.worstRows(matrix, marks);
    expect(rows.total).toBe(150);
    expect(rows.bad.map((t: { node: string }) => t.node)).toEqual(['n7', 'n40']);
    expect(rows.bad[0]).toMatchObject({ outFailing: 10, inFailing: 10 });
    const html = page.renderMatrix(matrix, marks, 'problems');
    expect(html).toContain('<table class="worst-rows"');
    expect(html).not.toContain('<table class="matrix"');
    expect(html).toContain('pod/udp: 150 nodes · 2 with problems');
    const grid = page.renderMatrix(matrix, marks, 'problems', true);
    expect(grid).toContain('<table class="matrix"');
    expect((grid.match(/<tr class="[^"]*"><th scope="row"/g) ?? []).length).toBe(1);
  });

  it('asks for the worst rows above 100 nodes (or before the count is known), for every cell otherwise and for marked rows only', () => {
    const view = { network: 'host', protocol: 'tcp', sort: 'problems', onlyMarked: false };
    expect(page.matrixRequest(view, undefined)).toBe('api/v1/matrix?network=host&protocol=tcp&worst=50');
    expect(page.matrixRequest(view, 101)).toBe('api/v1/matrix?network=host&protocol=tcp&worst=50');
    expect(page.matrixRequest(view, 100)).toBe('api/v1/matrix?network=host&protocol=tcp');
    expect(page.matrixRequest({ ...view, onlyMarked: true }, 1000)).toBe('api/v1/matrix?network=host&protocol=tcp');
    // A ?worst= answer: no cells; the rows, their marks and the summary come from the collector's counts.
    const answer = {
      network: 'pod',
      protocol: 'udp',
      nodeCount: 1000,
      nodesWithProblems: 3,
      worst: [
        { node: 'n9', outFailing: 1, outMeasured: 20, inFailing: 0, inMeasured: 20, degraded: 0 },
        {
          node: 'n7',
          outFailing: 20,
          outMeasured: 20,
          inFailing: 20,
          inMeasured: 20,
          degraded: 0,
          marked: true,
          broken: { failing: 40, measured: 40 },
        },
      ],
    };
    const marks = page.nodeMarks(withMarks(answer));
    expect([...marks.keys()]).toEqual(['n7']);
    const html = page.renderMatrix(answer, marks, 'problems');
    expect(html).toContain('pod/udp: 1000 nodes · 3 with problems, the 2 worst shown');
    expect([...html.matchAll(/data-node="([^"]+)"/g)].map((m) => m[1])).toEqual(['n7', 'n9']);
    // Worst rows of a small network, or for "marked nodes only": the cells are on their way.
    expect(page.renderMatrix({ ...answer, nodeCount: 4 }, marks, 'problems')).toContain('Loading…');
    expect(page.renderMatrix(answer, marks, 'problems', true)).toContain('Loading…');
  });

  it('asks the collector only for the node rows it shows: marked nodes by name (worst first, at most 20) and one page', () => {
    expect(page.nodeRequests(new Map(), false, undefined)).toEqual([`api/v1/nodes?limit=${page.nodePageSize}`]);
    const marks = page.nodeMarks(
      withMarks({ network: 'pod', protocol: 'udp', cells: [] }, [
        finding({ id: 'A:node-9', nodes: ['node-9'], severity: 'warning' }),
        finding({ id: 'B:node 2', nodes: ['node 2'] }),
      ]),
    );
    expect(page.nodeRequests(marks, false, 'node-50')).toEqual([
      'api/v1/nodes?node=node%202',
      'api/v1/nodes?node=node-9',
      `api/v1/nodes?limit=${page.nodePageSize}&after=node-50`,
    ]);
    expect(page.nodeRequests(marks, true, 'node-50')).toEqual(['api/v1/nodes?node=node%202', 'api/v1/nodes?node=node-9']);
    const many = page.nodeMarks(
      withMarks(
        { network: 'pod', protocol: 'udp', cells: [] },
        Array.from({ length: 300 }, (_, i) => finding({ id: `X:n${i}`, nodes: [`n${i}`] })),
      ),
    );
    expect(page.nodeRequests(many, false, undefined)).toHaveLength(page.markedNodesFetched + 1);
  });

  it('the pager says which page and offers only the moves there are', () => {
    const first = page.renderNodePager(1, true, 0, 1000);
    expect(first).toContain('Page 1 of the nodes by name (50 a page, 1000 nodes)');
    expect(first).toContain('data-page="next"');
    expect(first).not.toContain('data-page="previous"');
    const last = page.renderNodePager(20, false, 25, 1000);
    expect(last).toContain('data-page="previous"');
    expect(last).not.toContain('data-page="next"');
    expect(last).toContain('5 more marked nodes not listed');
  });

  it('targets: failing ones first, which nodes fail the Service address, which endpoints fail and from where', () => {
    const address = (addr: string, over: Record<string, unknown> = {}) => ({
      address: addr,
      failingFrom: [],
      failingCount: 0,
      probedFrom: 4,
      ...over,
    });
    const healthy = {
      name: 'default/api',
      protocol: 'tcp',
      service: address('198.19.0.30:443'),
      endpoints: [address('198.18.1.7:6443'), address('198.18.2.7:6443', { probedFrom: 0 })],
    };
    const servicePath = {
      name: 'default/web',
      protocol: 'tcp',
      service: address('198.19.0.10:80', { failingFrom: ['node-3'], failingCount: 1 }),
      endpoints: [address('198.18.1.5:8080'), address('198.18.2.5:8080')],
    };
    const endpointDown = {
      name: 'kube-system/kube-dns',
      protocol: 'dns',
      service: address('198.19.0.53:53'),
      endpoints: [address('198.18.3.9:53', { failingFrom: ['node-1', 'node-2', 'node-3', 'node-4'], failingCount: 4 })],
    };
    const html = page.renderTargets([healthy, servicePath, endpointDown]);
    expect(html).toContain('3 targets · 2 with failing paths');
    const order = [...html.matchAll(/data-target="([^"]+)"/g)].map((m) => m[1]);
    expect(order).toEqual(['default/web', 'kube-system/kube-dns', 'default/api']);
    expect(html).toContain('<code>198.19.0.10:80</code> ✕ fails from 1 of 4 nodes: node-3');
    expect(html).toContain('· 2/2 ok</td>');
    expect(html).toContain('✕ 1 of 1 failing<ul class="problems"><li>✕ <code>198.18.3.9:53</code> fails from every node (4)</li>');
    expect(html).toContain('<code>198.19.0.30:443</code> · ok from 4 nodes');
    expect(html).toContain('· 1/2 ok, 1 without results yet');
    expect(html).toContain('<tr class="broken" data-target="default/web"><th scope="row" class="bad">✕ default/web</th>');
    expect(html).toContain('<tr class="" data-target="default/api"><th scope="row">default/api</th>');
    // The collector names at most 20 failing nodes and counts the rest.
    expect(
      page.failingFromText(address('a', { failingFrom: Array.from({ length: 20 }, (_, i) => `n${i}`), failingCount: 25, probedFrom: 100 })),
    ).toMatch(/^fails from 25 of 100 nodes: n0, .*, n19 \(\+5 more\)$/);
    expect(page.failingFromText(address('a', { probedFrom: 0 }))).toBe('no results yet');
    expect(page.renderTargets([])).toContain('No targets configured');
  });

  it('targets: bounded rows and failing endpoints, everything escaped', () => {
    const evil = '<img src=x onerror=alert(1)>"';
    const address = (addr: string, over: Record<string, unknown> = {}) => ({
      address: addr,
      failingFrom: [],
      failingCount: 0,
      probedFrom: 3,
      ...over,
    });
    const many = Array.from({ length: 64 }, (_, i) => ({
      name: `t-${i}`,
      protocol: 'tcp',
      service: address(`198.19.0.${i}:80`),
      endpoints: [] as unknown[],
    }));
    const bad = {
      name: evil,
      protocol: evil,
      service: address(evil, { failingFrom: [evil], failingCount: 1 }),
      endpoints: Array.from({ length: 8 }, (_, i) => address(`198.18.0.${i}:80`, { failingFrom: [evil], failingCount: 1 })),
    };
    const html = page.renderTargets([...many, bad]);
    expect(html.match(/<tr class=/g)).toHaveLength(page.targetRowsShown);
    expect(html).toContain('65 targets · 1 with failing paths · the 50 worst shown (all: api/v1/targets)');
    expect(html).not.toContain('<img');
    expect(html).not.toMatch(/"[^"]*"'/);
    expect(html).toContain('✕ 8 of 8 failing');
    expect(html.match(/<li>✕ <code>/g)).toHaveLength(5);
    expect(html).toContain('<li>+3 more failing endpoints</li>');
    expect(html).toContain('<td class="endpoints none">none listed</td>');
  });
});
