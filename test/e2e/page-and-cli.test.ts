// The page and the CLI against a real 4-node lab (host and pod agents probing each other):
// healthy → no finding anywhere; node-2's overlay routes deleted (seed 002) → the page marks
// node-2's row and column and shows OverlayRouteMissing with what to do, the CLI exits 2 and
// names node-2. Real Chromium (Debian package) driven by playwright-core, the real CLI process.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitFor, type Stack } from '../harness/stack.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = `${repoRoot}test-results`;
const cliEntry = `${repoRoot}cli/src/main.ts`;
const probeIntervalSeconds = 2;

let stack: Stack;
let browser: Browser;
let page: Page;
const pageProblems: string[] = [];
const foreignRequests: string[] = [];
const targetsAnswers: number[] = [];

async function netsentry(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.NETSENTRY_COLLECTOR;
  delete env.NO_COLOR;
  const child = spawn(process.execPath, [cliEntry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** A port on 127.0.0.1 that nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  mkdirSync(resultsDir, { recursive: true });
  stack = await startStack({
    nodes: 4,
    podAgents: true,
    agentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
    podAgentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Without the background-networking flags Chromium tries to reach the internet.
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
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const origin = new URL(stack.httpUrl).origin;
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) foreignRequests.push(request.url());
  });
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/api/v1/targets') targetsAnswers.push(response.status());
  });
  page.on('pageerror', (err) => pageProblems.push(`pageerror: ${err.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') pageProblems.push(`console: ${message.text()}`);
  });
  // Up to 120 s of it may be waiting for the lab lock while another suite's lab runs.
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await stack?.teardown();
});

const rowHead = (node: string) => page.locator(`#matrix th.row-head[data-node="${node}"]`);
const colHead = (node: string) => page.locator(`#matrix th.col-head[data-node="${node}"]`);

describe('page and CLI against the lab', () => {
  it('healthy: the page shows no finding and the full pod matrix; the CLI exits 0', async () => {
    interface Matrix {
      matrices: { cells: { attempts: number; failing: boolean }[] }[];
    }
    await waitFor(
      'a full pod/udp matrix with no failing pair and no finding',
      async () => {
        const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix?network=pod&protocol=udp');
        const cells = matrices[0]?.cells ?? [];
        return cells.filter((c) => c.attempts > 0 && !c.failing).length === 12 && (await stack.findings()).length === 0;
      },
      40_000,
    );

    await page.goto(stack.httpUrl);
    await page.locator('#findings .no-findings').waitFor({ timeout: 15_000 });
    expect(await page.locator('#findings').innerText()).toContain('No open findings');
    expect(await page.locator('#findings li.finding').count()).toBe(0);
    await expect.poll(() => page.locator('#status').innerText(), { timeout: 15_000 }).toContain('Healthy');
    await waitFor('every pod-matrix cell ok on the page', async () => (await page.locator('#matrix td.c-ok').count()) === 12, 15_000, 250);
    expect(await page.locator('#matrix th.row-head').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-node')))).toEqual([
      'node-1',
      'node-2',
      'node-3',
      'node-4',
    ]);
    expect(await page.locator('#matrix th.col-head').count()).toBe(4);
    expect(await page.locator('#matrix .broken').count()).toBe(0);
    expect(await page.locator('#nodes tbody tr').count()).toBe(4);
    expect(await page.locator('#nodes').innerText()).toContain('flannel.1');
    // No --targets-file: the page asked for targets, got none, and shows no Targets section.
    await expect.poll(() => targetsAnswers.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(targetsAnswers).toContain(200);
    expect(await page.locator('#targets-section').isHidden()).toBe(true);
    await page.screenshot({ path: `${resultsDir}/page-healthy.png`, fullPage: true });

    const status = await netsentry(['status', '--collector', stack.httpUrl]);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('OK: no open findings');
    expect(status.stdout).toContain('No open findings.');
    expect(status.stdout).toContain(' 2 node-2  · - · ·');
    writeFileSync(`${resultsDir}/netsentry-status-healthy.txt`, status.stdout);
    const json = await netsentry(['findings', '--json', '--collector', stack.httpUrl]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ findings: [] });
  }, 120_000);

  it('seed 002: node-2 loses its overlay routes → the page marks node-2 and shows the root cause with what to do; the CLI exits 2', async () => {
    await stack.lab.deleteOverlayRoutes('node-2');
    await waitFor(
      'OverlayRouteMissing and NodeIsolated on node-2',
      async () => {
        const kinds = (await stack.findings()).map((f) => f.kind);
        return kinds.includes('OverlayRouteMissing') && kinds.includes('NodeIsolated');
      },
      8 * probeIntervalSeconds * 1000,
    );

    // The same page, not reloaded: it updates by itself.
    const root = page.locator('#findings > ul.findings > li.finding[data-kind="OverlayRouteMissing"]');
    await root.waitFor({ timeout: 20_000 });
    await expect.poll(() => root.locator('ul.explains li.finding[data-kind="NodeIsolated"]').count(), { timeout: 20_000 }).toBe(1);
    expect(await root.locator('.finding-head').first().innerText()).toMatch(/✕ CRITICAL\s+OverlayRouteMissing\s+node-2\s+root cause/);
    const remediation = root.locator(':scope > details.remediation');
    expect(await remediation.isVisible()).toBe(true);
    expect(await remediation.innerText()).toContain('Check the flannel pod on node-2');
    expect(await root.locator(':scope > details.evidence').innerText()).toMatch(/node-1: route missing/);
    await waitFor(
      'node-2 row and column marked, its peers not',
      async () => {
        const marked = await page
          .locator('#matrix th.broken')
          .evaluateAll((ths) => ths.map((th) => `${th.className.includes('row-head') ? 'row' : 'col'}:${th.getAttribute('data-node')}`));
        return marked.sort().join(',') === 'col:node-2,row:node-2';
      },
      20_000,
      250,
    );
    expect(await rowHead('node-2').innerText()).toBe('✕ node-2');
    expect(await colHead('node-2').innerText()).toBe('✕ node-2');
    await waitFor('node-2 pod/udp cells failing', async () => (await page.locator('#matrix td.c-fail').count()) === 6, 20_000, 250);
    expect(
      await page
        .locator('#matrix td.c-fail')
        .evaluateAll((tds) =>
          tds.every(
            (td) => td.textContent === '✕' && (td.getAttribute('data-src') === 'node-2' || td.getAttribute('data-dst') === 'node-2'),
          ),
        ),
    ).toBe(true);
    // Problems first: node-2 is the first row of the matrix and of the node view.
    expect(await page.locator('#matrix th.row-head').first().getAttribute('data-node')).toBe('node-2');
    expect(await page.locator('#nodes tbody tr').first().getAttribute('data-node')).toBe('node-2');
    expect(await page.locator('#nodes tbody tr').first().innerText()).toMatch(/✕ 0\/3 peers ok/);
    await page.screenshot({ path: `${resultsDir}/page-broken.png`, fullPage: true });

    // Loss and RTT of a cell on hover.
    const failingCell = page.locator('#matrix td[data-src="node-1"][data-dst="node-2"]');
    await failingCell.hover();
    expect(await failingCell.getAttribute('title')).toMatch(/^node-1 → node-2 \(pod\/udp\): failing\nloss \d+% \(\d+\/\d+ failed\)/);
    const okCell = page.locator('#matrix td[data-src="node-1"][data-dst="node-3"]');
    await okCell.hover();
    expect(await okCell.getAttribute('title')).toMatch(/: ok\nloss 0% \(0\/\d+ failed\)\nRTT p50 [\d.]+ (µs|ms), p95/);

    // The host network is fine (the underlay is intact): its cells pass, but node-2 stays marked by its finding.
    await page.locator('input[name="network"][value="host"]').check();
    await page.locator('#matrix table.matrix[data-network="host"]').waitFor({ timeout: 15_000 });
    await waitFor('host/udp cells all ok', async () => (await page.locator('#matrix td.c-ok').count()) === 12, 20_000, 250);
    expect(await rowHead('node-2').getAttribute('class')).toContain('broken');
    await page.locator('input[name="network"][value="pod"]').check();
    await page.locator('#matrix table.matrix[data-network="pod"]').waitFor({ timeout: 15_000 });
    // At 100 nodes: only the marked node's row (all columns) and node-table row.
    await page.locator('input[name="only"]').check();
    expect(await page.locator('#matrix th.row-head').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-node')))).toEqual([
      'node-2',
    ]);
    expect(await page.locator('#matrix th.col-head').count()).toBe(4);
    expect(await page.locator('#nodes tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-node')))).toEqual(['node-2']);
    await page.locator('input[name="only"]').uncheck();

    const status = await netsentry(['status', '--collector', stack.httpUrl]);
    writeFileSync(`${resultsDir}/netsentry-status-broken.txt`, status.stdout);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(2);
    expect(status.stdout).toMatch(/CRITICAL: \d+ open findings/);
    expect(status.stdout).toMatch(/✕ CRITICAL {2}OverlayRouteMissing {2}node-2 {2}\(root cause/);
    expect(status.stdout).toContain('✕ 2 node-2  ✕ - ✕ ✕');
    const json = await netsentry(['findings', '--json', '--collector', stack.httpUrl]);
    expect(json.code).toBe(2);
    const { findings } = JSON.parse(json.stdout) as { findings: { kind: string; nodes: string[]; remediation: string[] }[] };
    expect(findings[0]).toMatchObject({ kind: 'OverlayRouteMissing', nodes: ['node-2'] });
    expect(findings[0]!.remediation.length).toBeGreaterThan(0);
    const nodes = await netsentry(['nodes', '--collector', stack.httpUrl]);
    expect(nodes.code).toBe(0);
    expect(nodes.stdout).toMatch(/node-2 .*✕ 0\/3 ok: node-1 route missing/);
  }, 120_000);

  it('the page loaded nothing from elsewhere and logged no error', () => {
    expect(foreignRequests).toEqual([]);
    expect(pageProblems).toEqual([]);
  });

  it('CLI: an unreachable collector → exit 3 and why; an unknown flag → exit 64', async () => {
    const port = await closedPort();
    const down = await netsentry(['status', '--collector', `http://127.0.0.1:${port}`]);
    expect(down.code).toBe(3);
    expect(down.stdout).toBe('');
    expect(down.stderr).toBe(
      `netsentry: cannot reach the collector at http://127.0.0.1:${port}: connection refused: nothing listens there; check the URL (--collector or NETSENTRY_COLLECTOR) and that netsentry-collector is running\n`,
    );
    const usage = await netsentry(['findings', '--colour']);
    expect(usage.code).toBe(64);
    expect(usage.stderr).toBe('netsentry: unknown flag --colour; see --help\n');
  }, 60_000);
});
