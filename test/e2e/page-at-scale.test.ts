// The page in real Chromium as an operator reaches it in a cluster: behind a sub-path (the
// API server's service proxy, as `kubectl proxy` or `kubectl netsentry` use it), with 1,000
// nodes (a sampled mesh, node-37 broken) and 60 targets. The page's own files; the
// collector's API answered from synthetic data by request interception, so nothing reaches a
// network. The matrix is answered by the collector's own route (buildServer + inject) over a
// synthetic snapshot.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../shared/src/logger.ts';
import { buildServer } from '../../collector/src/http/build-server.ts';
import type { ClusterSnapshot } from '../../collector/src/model/cluster-snapshot.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const pageDir = `${repoRoot}collector/src/http/page/`;
const origin = 'http://127.0.0.1:8080';
const prefix = '/api/v1/namespaces/netsentry/services/netsentry-collector:http/proxy/';
const nodeCount = 1000;
const peersProbed = 20;
const broken = 'node-37';
const names = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
const nowIso = () => new Date().toISOString();

const paths = ['host', 'pod'].flatMap((network) =>
  ['udp', 'tcp'].flatMap((protocol) =>
    names.flatMap((s, i) =>
      Array.from({ length: peersProbed }, (_, k) => names[(i + 1 + k * 47) % nodeCount]!)
        .filter((d) => d !== s)
        .map((d) => {
          const fail = s === broken || d === broken;
          return {
            network,
            protocol,
            size: 'small',
            source: s,
            destination: d,
            attempts: 6,
            failures: fail ? 6 : 0,
            lossRatio: fail ? 1 : 0,
            rttP50Seconds: fail ? undefined : 0.0003,
            rttP95Seconds: fail ? undefined : 0.0005,
            failing: fail,
          };
        }),
    ),
  ),
);
const snapshot = {
  nowMs: Date.now(),
  nodes: names.map((name) => ({ name, hostAgent: {}, podAgent: {} })),
  probes: { windowSeconds: 10, paths, agents: [], dns: [] },
} as unknown as ClusterSnapshot;
const findings = {
  findings: [
    {
      id: `OverlayRouteMissing:${broken}`,
      kind: 'OverlayRouteMissing',
      severity: 'critical',
      nodes: [broken],
      summary: `${broken} is missing overlay routes to 999 of 999 peers (route)`,
      evidence: ['node-1: route missing'],
      remediation: ['Restart the flannel pod'],
      since: nowIso(),
      explains: [],
      state: 'open',
    },
  ],
};
const agent = () => ({
  connected: true,
  lastSeen: nowIso(),
  network: 'host',
  addresses: ['192.0.2.10'],
  overlay: { kind: 'flannel-vxlan', name: 'flannel.1', vni: 1, mtu: 1450, underlayMtu: 1500 },
  conntrack: { available: true, entries: 100, maxEntries: 262144 },
});
const nodes = { nodes: names.map((name) => ({ name, hostAgent: agent() })) };
const nodesByName = [...nodes.nodes].sort((a, b) => (a.name < b.name ? -1 : 1));

// 60 targets (more than the page lists): default/web's Service address fails from node-37,
// one endpoint of kube-system/kube-dns from every node; the rest are healthy.
const address = (addr: string, failingFrom: string[] = [], failingCount = failingFrom.length) => ({
  address: addr,
  failingFrom,
  failingCount,
  probedFrom: nodeCount,
});
const targets = {
  targets: [
    {
      name: 'default/web',
      protocol: 'tcp',
      service: address('198.19.0.10:80', [broken]),
      endpoints: [address('198.18.1.5:8080'), address('198.18.2.5:8080')],
    },
    {
      name: 'kube-system/kube-dns',
      protocol: 'dns',
      service: address('198.19.0.53:53'),
      endpoints: [address('198.18.3.9:53', names.slice(0, 20), nodeCount), address('198.18.4.9:53')],
    },
    ...Array.from({ length: 58 }, (_, i) => ({
      name: `apps/svc-${i + 1}`,
      protocol: 'tcp',
      service: address(`198.19.1.${i + 1}:80`),
      endpoints: [address(`198.18.5.${i + 1}:80`)],
    })),
  ],
};

const files: Record<string, [string, string]> = {
  '': ['text/html', readFileSync(`${pageDir}index.html`, 'utf8')],
  'page/app.js': ['text/javascript', readFileSync(`${pageDir}app.js`, 'utf8')],
  'page/style.css': ['text/css', readFileSync(`${pageDir}style.css`, 'utf8')],
};

const collector = buildServer({
  model: { snapshot: () => snapshot },
  findings: { list: () => findings.findings as never },
  metrics: { exposition: async () => ({ body: Buffer.alloc(0), release: () => {} }), contentType: 'text/plain' },
  logger: createSilentLogger(),
  isReady: () => true,
});

let browser: Browser;
let page: Page;
const outside: string[] = [];
const problems: string[] = [];
const matrixAsked: string[] = [];
const matrixBytes: number[] = [];
const nodesAsked: string[] = [];

beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== origin || !url.pathname.startsWith(prefix)) {
      outside.push(url.href);
      return route.fulfill({ status: 404, body: 'outside the sub-path' });
    }
    const rest = url.pathname.slice(prefix.length);
    const file = files[rest];
    if (file) return route.fulfill({ contentType: file[0], body: file[1] });
    const json = (body: unknown) => route.fulfill({ contentType: 'application/json', body: JSON.stringify(body) });
    if (rest === 'api/v1/findings') return json(findings);
    if (rest === 'api/v1/nodes') {
      // The collector's paging (sorted by name; ?node=, ?limit=, ?after=), answered from the synthetic list.
      nodesAsked.push(url.search);
      const q = url.searchParams;
      if (q.has('node')) return json({ nodes: nodes.nodes.filter((n) => n.name === q.get('node')) });
      const after = q.get('after');
      const from = after === null ? 0 : nodesByName.findIndex((n) => n.name > after);
      const items = nodesByName.slice(
        from < 0 ? nodesByName.length : from,
        q.has('limit') ? (from < 0 ? nodesByName.length : from) + Number(q.get('limit')) : undefined,
      );
      const more = items.length > 0 && items.at(-1) !== nodesByName.at(-1);
      return json({ nodes: items, ...(more ? { nextAfter: items.at(-1)!.name } : {}) });
    }
    if (rest === 'api/v1/targets') return json(targets);
    if (rest === 'api/v1/matrix') {
      matrixAsked.push(url.search);
      const answer = await collector.inject({ method: 'GET', url: `/api/v1/matrix${url.search}` });
      matrixBytes.push(answer.body.length);
      return route.fulfill({ status: answer.statusCode, contentType: 'application/json', body: answer.body });
    }
    return route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"not_found"}' });
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await collector.close();
});

describe('the page behind a sub-path with 1,000 nodes', () => {
  it('loads everything relative to the sub-path and shows the worst rows, node-37 first', async () => {
    await page.goto(`${origin}${prefix}`);
    await page.locator('#matrix table.worst-rows').waitFor({ timeout: 30_000 });
    const rows = await page
      .locator('#matrix table.worst-rows th.row-head')
      .evaluateAll((ths) => ths.map((th) => th.getAttribute('data-node')));
    expect(rows[0]).toBe(broken);
    // Only node-37 has problems; its peers' failing pairs are its own.
    expect(rows).toEqual([broken]);
    expect(await page.locator('#matrix table.matrix').count()).toBe(0);
    expect(await page.locator('#matrix .matrix-summary').innerText()).toContain('pod/udp: 1000 nodes · 1 with problems');
    // The matrix asks only for the worst rows: O(rows), not the 1,000 × 20 cells.
    expect(matrixAsked.length).toBeGreaterThan(0);
    expect(matrixAsked.filter((q) => !/[?&]worst=50(&|$)/.test(q))).toEqual([]);
    expect(Math.max(...matrixBytes)).toBeLessThan(5_000);
    const everyCell = await collector.inject({ method: 'GET', url: '/api/v1/matrix?network=pod&protocol=udp' });
    console.log(
      `page's matrix request at ${nodeCount} nodes: ${Math.max(...matrixBytes)} bytes (?worst=50) vs ${everyCell.body.length} bytes (every cell)`,
    );
    await expect.poll(() => page.locator('#status').innerText()).toContain('1 open finding');
    // The node table asks only for what it shows: node-37 by name and the first page of 50.
    await expect.poll(() => page.locator('#nodes tbody tr').count()).toBe(51);
    expect(await page.locator('#nodes tbody tr').first().getAttribute('data-node')).toBe(broken);
    expect(nodesAsked.length).toBeGreaterThan(0);
    expect(nodesAsked.filter((q) => !/[?&](limit=50|node=)/.test(q))).toEqual([]);
    // The next page, by the cursor the collector gave.
    await page.locator('#nodes-pager button[data-page="next"]').click();
    await expect.poll(() => nodesAsked.at(-1)).toMatch(/limit=50&after=node-/);
    await expect.poll(() => page.locator('#nodes-pager').innerText()).toContain('Page 2');
    // Targets: the section appears (targets are configured), failing targets first, at most 50 rows.
    await page.locator('#targets-section table.targets').waitFor({ timeout: 30_000 });
    expect(await page.locator('#targets-section').isVisible()).toBe(true);
    const targetRows = page.locator('#targets table.targets tbody tr');
    expect(await targetRows.count()).toBe(50);
    expect(await targetRows.evaluateAll((trs) => trs.slice(0, 3).map((tr) => tr.getAttribute('data-target')))).toEqual([
      'default/web',
      'kube-system/kube-dns',
      'apps/svc-1',
    ]);
    expect(await targetRows.nth(0).innerText()).toContain(`fails from 1 of ${nodeCount} nodes: ${broken}`);
    expect(await targetRows.nth(1).innerText()).toMatch(/✕ 1 of 2 failing\s+✕ 198\.18\.3\.9:53 fails from every node \(1000\)/);
    expect(await page.locator('#targets .targets-summary').innerText()).toBe(
      '60 targets · 2 with failing paths · the 50 worst shown (all: api/v1/targets)',
    );
    mkdirSync(`${repoRoot}test-results`, { recursive: true });
    console.log(
      `page at ${nodeCount} nodes: first render ${await page.evaluate(() => (globalThis as any).document.body.dataset.renderMs)} ms (render() only)`,
    );
    await page.screenshot({ path: `${repoRoot}test-results/page-1000-nodes-subpath.png` });
    await page.locator('#targets-section').screenshot({ path: `${repoRoot}test-results/page-targets.png` });
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('keeps the selected view in the URL: a reload or a shared link shows the same view', async () => {
    await page.locator('input[name="network"][value="host"]').check();
    await page.locator('input[name="protocol"][value="tcp"]').check();
    await expect.poll(() => new URL(page.url()).hash).toBe('#network=host&protocol=tcp');
    await expect.poll(() => matrixAsked.at(-1)).toBe('?network=host&protocol=tcp&worst=50');
    await page.reload();
    await page.locator('#matrix table.worst-rows[data-network="host"][data-protocol="tcp"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('input[name="network"][value="host"]').isChecked()).toBe(true);
    expect(await page.locator('input[name="protocol"][value="tcp"]').isChecked()).toBe(true);
    // A link with another view, followed in the same tab.
    await page.goto(`${origin}${prefix}#only=marked`);
    await page.locator('#matrix table.matrix').waitFor({ timeout: 30_000 });
    expect(await page.locator('input[name="only"]').isChecked()).toBe(true);
    expect(await page.locator('#matrix table.matrix tbody th.row-head').count()).toBe(1);
    expect(await page.locator('#matrix table.matrix thead th.col-head').count()).toBe(nodeCount);
    // "Marked nodes only" draws every column of the marked rows: that view asks for the cells.
    expect(matrixAsked.at(-1)).toBe('?network=pod&protocol=udp');
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  });
});
