// How fast the page renders a 100-node cluster in real Chromium: the page's own files, with
// the collector's API answered from synthetic data by request interception (no network,
// no lab). One node (node-37) is broken on every pair; a few cells are degraded.
// Usage: node bench/page-100-nodes.ts [--nodes 100] [--rounds 5]
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const nodeCount = arg('nodes', 100);
const rounds = arg('rounds', 5);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const pageDir = `${repoRoot}collector/src/http/page/`;
const names = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
const broken = 'node-37';
const nowIso = () => new Date().toISOString();

let generation = 0;
function matrix() {
  generation++;
  const cells = names.flatMap((s) =>
    names
      .filter((d) => d !== s)
      .map((d, j) => {
        const fail = s === broken || d === broken;
        const degraded = !fail && (j * 7 + s.length + generation) % 97 === 0;
        return {
          source: s,
          destination: d,
          attempts: 6,
          failures: fail ? 6 : degraded ? 1 : 0,
          lossRatio: fail ? 1 : degraded ? 0.17 : 0,
          rttP50Seconds: fail ? null : 0.0002 + (j % 13) * 0.0009,
          rttP95Seconds: fail ? null : 0.0004 + (j % 13) * 0.001,
          failing: fail,
        };
      }),
  );
  return { generatedAt: nowIso(), windowSeconds: 10, matrices: [{ network: 'pod', protocol: 'udp', nodes: names, cells }] };
}
const findings = {
  findings: [
    {
      id: `OverlayRouteMissing:${broken}`,
      kind: 'OverlayRouteMissing',
      severity: 'critical',
      nodes: [broken],
      summary: `${broken} is missing overlay routes to ${nodeCount - 1} of ${nodeCount - 1} peers (route)`,
      evidence: names
        .filter((n) => n !== broken)
        .slice(0, 20)
        .map((n) => `${n}: route missing`),
      remediation: ['Restart the flannel pod'],
      since: nowIso(),
      explains: [`NodeIsolated:${broken}`],
      state: 'open',
    },
    {
      id: `NodeIsolated:${broken}`,
      kind: 'NodeIsolated',
      severity: 'critical',
      nodes: [broken],
      summary: `${broken} is isolated`,
      evidence: [],
      remediation: [],
      since: nowIso(),
      explains: [],
      state: 'open',
    },
  ],
};
const agent = (name: string) => ({
  connected: true,
  lastSeen: nowIso(),
  network: 'host',
  addresses: ['192.0.2.1'],
  overlay: { kind: 'flannel-vxlan', name: 'flannel.1', vni: 1, mtu: 1450, underlayMtu: 1500 },
  conntrack: { available: true, entries: 100, maxEntries: 262144 },
  overlayCheck: {
    peersChecked: nodeCount - 1,
    peersOk: name === broken ? 0 : nodeCount - 1,
    problems:
      name === broken
        ? names
            .filter((n) => n !== broken)
            .slice(0, 20)
            .map((peer) => ({ peer, parts: [{ part: 'route', problem: 'missing', expected: 'x', actual: 'absent' }] }))
        : [],
  },
});
const nodes = () => ({
  nodes: names.map((name) => ({ name, hostAgent: agent(name), podAgent: { ...agent(name), network: 'pod', overlay: undefined } })),
});

const files: Record<string, [string, string]> = {
  '/': ['text/html', readFileSync(`${pageDir}index.html`, 'utf8')],
  '/page/app.js': ['text/javascript', readFileSync(`${pageDir}app.js`, 'utf8')],
  '/page/style.css': ['text/css', readFileSync(`${pageDir}style.css`, 'utf8')],
};

const browser = await chromium.launch({
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
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1200 } });
  let matrixBytes = 0;
  let matrixRequests = 0;
  // Every request is answered here; nothing reaches a network.
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    const file = files[url.pathname];
    if (file) return route.fulfill({ contentType: file[0], body: file[1] });
    const body =
      url.pathname === '/api/v1/matrix'
        ? JSON.stringify(matrix())
        : url.pathname === '/api/v1/nodes'
          ? JSON.stringify(nodes())
          : url.pathname === '/api/v1/findings'
            ? JSON.stringify(findings)
            : undefined;
    if (url.pathname === '/api/v1/matrix') {
      matrixBytes = body?.length ?? 0;
      matrixRequests++;
    }
    return body ? route.fulfill({ contentType: 'application/json', body }) : route.fulfill({ status: 404, body: '{}' });
  });
  const cells = (nodeCount - 1) * nodeCount;
  const firstRender: number[] = [];
  const rerender: number[] = [];
  const fullBuild: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await page.goto('http://127.0.0.1:8080/');
    await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('#matrix td.cell:not(.c-self)').length === n, cells, {
      timeout: 60_000,
    });
    firstRender.push(performance.now() - t0);
    fullBuild.push(Number(await page.evaluate(() => (globalThis as any).document.body.dataset.renderMs)));
    // The next poll brings changed cells (generation moves the degraded ones): the page patches them in place.
    const before = matrixRequests;
    while (matrixRequests === before) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500));
    rerender.push(Number(await page.evaluate(() => (globalThis as any).document.body.dataset.renderMs)));
  }
  mkdirSync(`${repoRoot}test-results`, { recursive: true });
  await page.screenshot({ path: `${repoRoot}test-results/page-${nodeCount}-nodes.png`, fullPage: false });
  const marked = await page.locator('#matrix th.broken').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-node')));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(
    JSON.stringify({
      nodes: nodeCount,
      cells,
      rounds,
      matrixJsonBytes: matrixBytes,
      loadToMatrixMsMedian: Math.round(median(firstRender)),
      loadToMatrixMsMax: Math.round(Math.max(...firstRender)),
      firstRenderMsMedian: Math.round(median(fullBuild)),
      pollRenderMsMedian: Math.round(median(rerender)),
      markedHeaders: marked,
    }),
  );
} finally {
  await browser.close();
}
