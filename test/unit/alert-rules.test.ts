// The shipped alert rules (charts/netsentry/files/netsentry-alerts.yaml): promtool accepts
// them, the promtool unit tests pass and cover every alert with a firing case, every alert
// carries the annotations operators rely on, and every alert has its runbook.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const rulesPath = join(root, 'charts/netsentry/files/netsentry-alerts.yaml');
const testsPath = join(root, 'test/prometheus/netsentry-alerts.test.yaml');
const runbookUrl = (alert: string) => `https://github.com/netsentry/netsentry/blob/main/docs/runbooks/${alert}.md`;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface PromtoolTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
}

const rules: Rule[] = (parse(readFileSync(rulesPath, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const alerts = rules.filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');
const required = [
  'NetsentryOverlayRouteMissing',
  'NetsentryNodeIsolated',
  'NetsentryAsymmetricReachability',
  'NetsentryProtocolBlocked',
  'NetsentryMtuBlackhole',
  'NetsentryConntrackPressure',
  'NetsentryDnsFailure',
  'NetsentryAgentMissing',
  'NetsentryCollectorDown',
];
// Alerts about the collector itself have no node to name.
const clusterScoped = new Set(['NetsentryCollectorDown']);

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run('promtool', args, { timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool not found on PATH (Debian package prometheus)', { cause: err });
    return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

const temp = mkdtempSync(join(tmpdir(), 'netsentry-alert-rules-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('alert rules', () => {
  it('has every required alert, each once', () => {
    const names = alerts.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(required));
  });

  it.each(alerts.map((a) => [a.alert, a] as const))('%s: name, severity, summary, description, runbook_url', (name, rule) => {
    expect(name).toMatch(/^Netsentry[A-Z][A-Za-z]+$/);
    expect(['critical', 'warning']).toContain(rule.labels?.severity);
    const { summary, description, runbook_url: url } = rule.annotations ?? {};
    expect(summary, 'summary').toBeTruthy();
    expect(summary, 'summary is static').not.toContain('{{');
    expect(description, 'description').toBeTruthy();
    expect(description, 'description is templated').toContain('{{');
    if (!clusterScoped.has(name)) expect(description, 'description names the node').toContain('{{ $labels.node }}');
    expect(url).toBe(runbookUrl(name));
    expect(rule.for, '`for:` set').toMatch(/^\d+[smh]$/);
  });

  it.each(alerts.map((a) => [a.alert, a] as const))(
    '%s has a runbook with Meaning, Impact, Diagnosis, Mitigation, listed in docs/alerts.md',
    (name, rule) => {
      const path = join(root, 'docs/runbooks', `${name}.md`);
      expect(existsSync(path), path).toBe(true);
      const text = readFileSync(path, 'utf8');
      expect(text.startsWith(`# ${name}`)).toBe(true);
      const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
      expect(headings).toEqual(expect.arrayContaining(['Meaning', 'Impact', 'Diagnosis', 'Mitigation']));
      // The runbook quotes the rule as shipped, so the two cannot drift apart.
      expect(text, 'runbook quotes the expression and for').toContain(`\`${rule.expr}\` for ${rule.for}`);
      expect(readFileSync(join(root, 'docs/alerts.md'), 'utf8')).toContain(`(runbooks/${name}.md)`);
    },
  );

  it('promtool check rules accepts the file', async () => {
    const { code, output } = await promtool('check', 'rules', rulesPath);
    expect(code, output).toBe(0);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('has a promtool test case where each alert fires', () => {
    const tests = parse(readFileSync(testsPath, 'utf8')) as PromtoolTests;
    expect(tests.rule_files).toEqual(['../../charts/netsentry/files/netsentry-alerts.yaml']);
    const firing = new Set(
      tests.tests.flatMap((t) => (t.alert_rule_test ?? []).filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname)),
    );
    for (const { alert } of alerts) expect(firing.has(alert), `no promtool case where ${alert} fires`).toBe(true);
  });

  it('promtool test rules passes', async () => {
    const { code, output } = await promtool('test', 'rules', testsPath);
    expect(code, output).toBe(0);
    expect(output).toContain('SUCCESS');
  }, 60_000);

  it.each(alerts.map((a) => [a.alert, a] as const))(
    "%s aggregates to identifying labels (cluster, namespace, node, kind), never a collector pod's",
    (_name, rule) => {
      const by = [...rule.expr.matchAll(/max by \(([^)]*)\)/g)].map((m) => m[1]!.split(/,\s*/));
      expect(by.length, rule.expr).toBeGreaterThan(0);
      for (const labels of by) {
        expect(labels).toEqual(expect.arrayContaining(['cluster', 'namespace']));
        for (const scrape of ['pod', 'instance', 'endpoint', 'service', 'container']) expect(labels).not.toContain(scrape);
      }
    },
  );

  it("the pod-change promtool cases fail for rules that keep the collector's scrape labels", async () => {
    const unaggregated = readFileSync(rulesPath, 'utf8')
      .replace('max by (cluster, namespace, node) (netsentry_overlay_routes_missing) > 0', 'netsentry_overlay_routes_missing > 0')
      .replaceAll(
        /max by \(cluster, namespace, node, kind\) \((sum without \(severity\) \(netsentry_findings\{kind="\w+"(?:,severity!="info")?\}\))\) > 0/g,
        '$1 > 0',
      );
    expect(unaggregated).not.toMatch(/max by \(cluster, namespace, node/);
    writeFileSync(join(temp, 'unaggregated.yaml'), unaggregated);
    const tests = parse(readFileSync(testsPath, 'utf8')) as PromtoolTests;
    const podChange = tests.tests.filter((t) => t.name.includes('collector pod change'));
    expect(podChange.length).toBeGreaterThanOrEqual(2);
    writeFileSync(join(temp, 'pod-change.yaml'), stringify({ ...tests, rule_files: ['unaggregated.yaml'], tests: podChange }));
    const { code, output } = await promtool('test', 'rules', join(temp, 'pod-change.yaml'));
    expect(code).not.toBe(0);
    expect(output).toMatch(/NetsentryOverlayRouteMissing, time: 16m[\s\S]*got:\[\]/);
    expect(output).toMatch(/NetsentryNodeIsolated, time: 16m[\s\S]*got:\[\]/);
  }, 60_000);

  it('promtool test rules fails when a shipped expression changes (the tests can fail)', async () => {
    const mutated = readFileSync(rulesPath, 'utf8').replace(
      '(netsentry_overlay_routes_missing) > 0',
      '(netsentry_overlay_routes_missing) > 5',
    );
    expect(mutated).not.toBe(readFileSync(rulesPath, 'utf8'));
    writeFileSync(join(temp, 'rules.yaml'), mutated);
    const tests = parse(readFileSync(testsPath, 'utf8')) as PromtoolTests;
    writeFileSync(join(temp, 'tests.yaml'), stringify({ ...tests, rule_files: ['rules.yaml'] }));
    const { code, output } = await promtool('test', 'rules', join(temp, 'tests.yaml'));
    expect(code).not.toBe(0);
    expect(output).toContain('NetsentryOverlayRouteMissing');
  }, 60_000);
});
