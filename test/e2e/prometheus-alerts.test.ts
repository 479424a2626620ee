// The real Prometheus (Debian package) scrapes the lab collector every second and evaluates
// the shipped alert rules with only `for:` shortened. A healthy 4-node lab fires nothing;
// node-2's overlay routes deleted fire NetsentryOverlayRouteMissing for node-2 and no other
// node; and, with UDP also dropped on node-3, every Grafana dashboard panel query returns
// data from this Prometheus and NetsentryProtocolBlocked fires for node-3.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startPrometheus,
  readRules,
  shippedDashboardPath,
  shippedRulesPath,
  type LabPrometheus,
  type PrometheusAlert,
} from '../harness/prometheus.ts';
import { holdsThroughout, startStack, waitFor, type Stack } from '../harness/stack.ts';

const probeIntervalSeconds = 2;
const shortFor = '2s';
// Lab addresses are fixed: node-i is 192.0.2.(10+i). dnsmasq runs on node-1's underlay
// address so host agents have a lab resolver (never the machine's) and DNS panels get data.
const labResolver = '192.0.2.11:53';
// A target set, so the target metrics (registered only with --targets-file) exist for the
// dashboard's Targets panels. No pod agents run here, so nothing probes it: its series are 0
// and no target finding can open (test/e2e/services.test.ts probes targets for real).
const targetsDir = mkdtempSync(join(tmpdir(), 'netsentry-prometheus-targets-'));
const targetsFile = join(targetsDir, 'targets.yaml');
writeFileSync(targetsFile, 'targets:\n  - {name: default/web, protocol: tcp, address: "198.19.0.10:80", endpoints: ["198.18.1.5:8080"]}\n');
let stack: Stack | undefined;
let prometheus: LabPrometheus | undefined;
const log = (...args: unknown[]) => console.log('[prometheus-e2e]', ...args);

beforeAll(async () => {
  stack = await startStack({
    nodes: 4,
    dnsPod: 'node-1',
    collectorArgs: ['--agent-missing-after', '5s', '--targets-file', targetsFile],
    agentArgs: ['--probe-interval', `${probeIntervalSeconds}s`, '--dns-server', labResolver],
  });
  expect(stack.dnsServer).toBe(labResolver);
  prometheus = await startPrometheus({ target: new URL(stack.httpUrl).host, forDuration: shortFor });
  log(`prometheus pid ${prometheus.pid} at ${prometheus.url}, scraping ${new URL(stack.httpUrl).host}`);
}, 240_000); // includes waiting up to 120 s for the machine-wide lab lock

afterAll(async () => {
  // Both always run, Prometheus first: it is ours, by pid, with its temp dir.
  const results = await Promise.allSettled([prometheus?.stop(), stack?.teardown()]);
  for (const r of results) if (r.status === 'rejected') console.error(r.reason);
  rmSync(targetsDir, { recursive: true, force: true });
});

const alertsNamed = (alerts: PrometheusAlert[], name: string) => alerts.filter((a) => a.labels.alertname === name);
const describeAlerts = (alerts: PrometheusAlert[]) =>
  alerts.map((a) => `${a.labels.alertname}{node=${a.labels.node ?? '-'}} ${a.state}`).join(', ');

describe('real Prometheus on the lab collector', () => {
  it('loads the shipped rules with only for: shortened', () => {
    const shipped = readRules(shippedRulesPath);
    const loaded = readRules(prometheus!.rulesPath);
    expect(loaded.length).toBe(shipped.length);
    for (const [i, rule] of shipped.entries()) {
      const copy = loaded[i]!;
      expect(copy.alert).toBe(rule.alert);
      expect(copy.expr).toBe(rule.expr);
      expect(copy.labels).toEqual(rule.labels);
      expect(copy.annotations).toEqual(rule.annotations);
      expect(copy.for).toBe(rule.for === undefined ? undefined : shortFor);
    }
  });

  it('healthy lab: the collector is scraped, every rule evaluates, and no alert is pending or firing', async () => {
    const p = prometheus!;
    await waitFor(
      'Prometheus to scrape the collector with data from 4 nodes and their probes',
      async () => {
        const up = await p.query('up{job="netsentry-collector"} == 1');
        const routes = await p.query('count(netsentry_overlay_routes_missing == 0) == 4');
        const rtt = await p.query('count(netsentry_probe_rtt_median_seconds) == 4');
        const dns = await p.query('count(netsentry_dns_probe_success_ratio == 1) == 8');
        return up.result.length === 1 && routes.result.length === 1 && rtt.result.length === 1 && dns.result.length === 1;
      },
      60_000,
      1_000,
    );

    // Per-node series on /metrics (the catalog's O(nodes) claim), for the report.
    const text = await stack!.metrics();
    for (const node of ['node-1', 'node-2', 'node-3', 'node-4']) {
      const series = text.split('\n').filter((l) => l.startsWith('netsentry_') && l.includes(`node="${node}"`)).length;
      log(`series with node="${node}" on /metrics (healthy, host agents): ${series}`);
      expect(series).toBeLessThan(40);
    }
    log(`netsentry_* series in total (healthy): ${text.split('\n').filter((l) => l.startsWith('netsentry_')).length}`);

    // Before Prometheus' first scrape, absent(up{job="netsentry-collector"}) is true, so
    // NetsentryCollectorDown can be firing at start-up (with `for: 2s`); the next rule
    // evaluation after the first scrape clears it. Let that settle, then be strict.
    await waitFor('the start-up NetsentryCollectorDown to clear', async () => (await p.alerts()).length === 0, 10_000, 500);
    // Observe long enough for every shortened `for:` (2 s) to elapse many times over.
    await holdsThroughout(
      'no alert',
      20_000,
      async () => {
        const alerts = await p.alerts();
        expect(alerts, describeAlerts(alerts)).toEqual([]);
      },
      1_000,
    );
    // Healthy: no per-pair series at all, and the per-kind summary is 0 for every kind.
    expect((await p.query('netsentry_probe_pair_failing')).result).toEqual([]);
    expect((await p.query('netsentry_open_findings != 0')).result).toEqual([]);
    expect((await p.query('count(netsentry_open_findings == 0) >= 10')).result).toHaveLength(1);
    const health = await p.ruleHealth();
    expect(health.length).toBe(readRules(shippedRulesPath).length);
    for (const rule of health) expect(rule.health, `${rule.name}: ${rule.lastError ?? ''}`).toBe('ok');
  }, 120_000);

  it('node-2 overlay routes deleted → NetsentryOverlayRouteMissing fires for node-2, for no other node', async () => {
    const p = prometheus!;
    const started = Date.now();
    await stack!.lab.deleteOverlayRoutes('node-2');
    const alert = await waitFor(
      'NetsentryOverlayRouteMissing firing for node-2',
      async () => {
        return alertsNamed(await p.alerts(), 'NetsentryOverlayRouteMissing').find(
          (a) => a.state === 'firing' && a.labels.node === 'node-2',
        );
      },
      30_000,
      250,
    );
    const seconds = (Date.now() - started) / 1000;
    log(
      `route deletion → NetsentryOverlayRouteMissing firing in Prometheus: ${seconds.toFixed(1)} s (for: ${shortFor}, scrape and evaluation every 1 s)`,
    );
    expect(alert.labels.severity).toBe('warning');
    expect(alert.annotations.description).toMatch(/^node-2 is missing the overlay chain .* toward 3 peer node\(s\)/);
    expect(alert.annotations.runbook_url).toBe(
      'https://github.com/netsentry/netsentry/blob/main/docs/runbooks/NetsentryOverlayRouteMissing.md',
    );
    // Three more evaluations of every rule group: still only node-2.
    const evaluatedAt = await p.oldestEvaluationMs();
    await waitFor('three more rule evaluations', async () => (await p.oldestEvaluationMs()) >= evaluatedAt + 3_000, 15_000, 250);
    const routeAlerts = alertsNamed(await p.alerts(), 'NetsentryOverlayRouteMissing');
    expect(routeAlerts.map((a) => a.labels.node)).toEqual(['node-2']);
  }, 60_000);

  // Some series exist only while something is broken (netsentry_findings, failing pairs), so
  // the panel queries run with node-2 still missing its routes and UDP dropped on node-3
  // (host-network probes from and to node-3 fail, and its UDP DNS): every panel has data.
  it('every dashboard panel query succeeds and returns data (node-2 broken, UDP dropped on node-3)', async () => {
    const p = prometheus!;
    await stack!.lab.dropUdp('node-3');
    const dashboard = JSON.parse(readFileSync(shippedDashboardPath, 'utf8')) as {
      panels: { type: string; title: string; targets?: { refId: string; expr: string }[] }[];
    };
    // Grafana's variables as Grafana would expand them ($cluster "All", $job the lab's scrape job, $limit 20): $node as "All" (.*) and as a
    // multi-value selection of two nodes, (node-1|node-3): node-3 has open findings and
    // failing pairs, and node-1 an RTT (node-3's UDP probes all fail, so it has none — a panel
    // may rightly be empty for one node); a rate window of a few scrapes.
    const queries = ['.*', '(node-1|node-3)'].flatMap((nodeValue) =>
      dashboard.panels
        .filter((panel) => panel.type !== 'row')
        .flatMap((panel) =>
          (panel.targets ?? []).map((t) => ({
            panel: `${panel.title} [${t.refId}] (node=${nodeValue})`,
            expr: t.expr
              .replaceAll('$node', nodeValue)
              .replaceAll('$cluster', '.*')
              .replaceAll('$job', 'netsentry-collector')
              .replaceAll('$limit', '20')
              .replaceAll('$__rate_interval', '10s')
              .replaceAll('$__interval', '5s'),
          })),
        ),
    );
    expect(queries.length).toBeGreaterThanOrEqual(40);
    for (const q of queries) expect(q.expr, q.panel).not.toMatch(/\$/);

    let failures: string[] = [];
    await waitFor(
      'every panel query to return data',
      async () => {
        failures = [];
        for (const q of queries) {
          const answer = await p.query(q.expr);
          if (answer.status !== 'success') failures.push(`${q.panel}: ${answer.error ?? answer.status}`);
          else if (answer.result.length === 0) failures.push(`${q.panel}: no data (${q.expr})`);
        }
        return failures.length === 0;
      },
      40_000,
      2_000,
    ).catch(() => undefined);
    expect(failures).toEqual([]);
    log(`dashboard: ${queries.length / 2} panel queries × 2 node selections, all returned data`);

    // The failing-pairs panel shows only pairs that fail: every one involves node-3 (UDP).
    const pairs = await p.query('netsentry_probe_pair_failing');
    expect(pairs.result.length).toBeGreaterThan(0);
    for (const s of pairs.result) expect([s.metric.source, s.metric.destination]).toContain('node-3');

    // A finding-backed alert through the same Prometheus: UDP dropped on node-3 →
    // NetsentryProtocolBlocked{node="node-3"}; every firing alert names node-2 or node-3 only.
    const blocked = await waitFor(
      'NetsentryProtocolBlocked firing for node-3',
      async () => alertsNamed(await p.alerts(), 'NetsentryProtocolBlocked').find((a) => a.state === 'firing' && a.labels.node === 'node-3'),
      30_000,
      500,
    );
    expect(blocked.labels.kind).toBe('ProtocolBlocked');
    expect(blocked.labels.severity).toBe('warning');
    const firingNow = (await p.alerts()).filter((a) => a.state === 'firing');
    log(`firing with node-2 routes gone and UDP dropped on node-3: ${describeAlerts(firingNow)}`);
    expect([...new Set(firingNow.map((a) => a.labels.node))].sort()).toEqual(['node-2', 'node-3']);
  }, 90_000);
});
