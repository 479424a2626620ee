// The chart's PrometheusRule is templated from the shipped rule file: with chart values it
// changes exactly the job name, the runbook base, the alerts left out and the labels added,
// and what it renders is still a valid rule file for promtool.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { chartDir, createHelmRunner } from '../helm/helm.ts';

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}

const run = promisify(execFile);
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
const temp = mkdtempSync(join(tmpdir(), 'netsentry-chart-rules-'));
afterAll(() => {
  helm.close();
  rmSync(temp, { recursive: true, force: true });
});
const source = YAML.parse(readFileSync(join(chartDir, 'files/netsentry-alerts.yaml'), 'utf8')) as RuleFile;
const rulesOf = async (prometheusRule: object, extra: object = {}): Promise<RuleFile> => {
  const objs = await helm.template({ prometheusRule: { enabled: true, ...prometheusRule }, ...extra });
  return objs.find((r) => r.obj.kind === 'PrometheusRule')!.obj.spec as RuleFile;
};

describe('PrometheusRule from chart values', () => {
  it('defaults: the rule file exactly', async () => {
    expect(await rulesOf({})).toEqual(source);
  });

  it('job name, runbook base, disabled alerts and alert labels change exactly what they name', async () => {
    const rendered = await rulesOf(
      {
        runbookBaseUrl: 'https://runbooks.example/netsentry/',
        disabledAlerts: ['NetsentryMtuMismatch'],
        alertLabels: { team: 'network', severity: 'critical' },
      },
      { serviceMonitor: { jobName: 'netsentry' } },
    );
    const expected = structuredClone(source);
    for (const g of expected.groups) {
      g.rules = g.rules.filter((r) => r.alert !== 'NetsentryMtuMismatch');
      for (const r of g.rules) {
        r.expr = r.expr.replaceAll('job="netsentry-collector"', 'job="netsentry"');
        r.annotations.runbook_url = `https://runbooks.example/netsentry/${r.alert}.md`;
        r.labels = { ...r.labels, team: 'network' };
      }
    }
    expect(rendered).toEqual(expected);
    const down = rendered.groups[0]!.rules.find((r) => r.alert === 'NetsentryCollectorDown')!;
    expect(down.expr).toBe('max by (cluster, namespace, job) (up{job="netsentry"}) == 0 or absent(up{job="netsentry"})');
    expect(down.labels.severity).toBe('warning');
  });

  it('what it renders with options passes promtool check rules', async () => {
    const rendered = await rulesOf(
      { disabledAlerts: ['NetsentryAgentMissing'], alertLabels: { team: 'network' } },
      { serviceMonitor: { jobName: 'other' } },
    );
    const path = join(temp, 'rendered.yaml');
    writeFileSync(path, YAML.stringify(rendered));
    const { stdout } = await run('promtool', ['check', 'rules', path]);
    expect(stdout).toContain(`SUCCESS: ${source.groups[0]!.rules.length - 1} rules found`);
  });

  it('an unknown alert in disabledAlerts fails the render with the list of names', async () => {
    await expect(rulesOf({ disabledAlerts: ['NetsentryRouteMissing'] })).rejects.toThrow(
      /NetsentryRouteMissing is not one of the shipped alerts \(NetsentryOverlayRouteMissing, /,
    );
  });
});
