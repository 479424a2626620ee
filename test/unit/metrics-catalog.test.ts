// docs/metrics.md is the metrics catalog: every metric the collector registers must have a
// row there with the same type and labels, and every row must name a registered metric.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultDetectors } from '../../collector/src/detectors/index.ts';
import { createFindingsEngine } from '../../collector/src/findings/findings-engine.ts';
import { createCollectorMetrics } from '../../collector/src/metrics/collector-metrics.ts';
import { createTestCluster } from '../fixtures/cluster-fixtures.ts';
import { registerKubernetesMetrics } from '../../collector/src/kubernetes/kubernetes-metrics.ts';
import { createSilentLogger } from '../../shared/src/logger.ts';
import { registerTargetMetrics } from '../../collector/src/targets/target-metrics.ts';
import { createTargetStore } from '../../collector/src/targets/target-store.ts';

const catalogPath = new URL('../../docs/metrics.md', import.meta.url);

interface CatalogRow {
  name: string;
  type: string;
  labels: string[];
}

/** Table rows of the form | `name` | type | `a`, `b` | meaning |. */
function parseCatalog(markdown: string): CatalogRow[] {
  const rows: CatalogRow[] = [];
  for (const line of markdown.split('\n')) {
    const m = /^\|\s*`((?:netsentry|process|nodejs)_[a-z0-9_]+)`\s*\|\s*([a-z]+)\s*\|([^|]*)\|/.exec(line);
    if (!m) continue;
    const labels = [...m[3]!.matchAll(/`([a-z_]+)`/g)].map((x) => x[1]!);
    rows.push({ name: m[1]!, type: m[2]!, labels });
  }
  return rows;
}

async function registered(): Promise<CatalogRow[]> {
  const cluster = createTestCluster();
  const findings = createFindingsEngine({
    model: cluster.model,
    detectors: defaultDetectors(),
    now: cluster.clock.now,
    logger: createSilentLogger(),
  });
  const { registry } = createCollectorMetrics({ model: cluster.model, findings });
  // Registered only with --kubernetes on: here with an informer that has seen nothing.
  registerKubernetesMetrics(registry, { status: { reachable: false, synced: false, relists: 0 }, records: new Map() });
  // Registered only with --targets-file.
  registerTargetMetrics(registry, { store: createTargetStore(), specs: () => [], now: Date.now, staleMs: 60_000 });
  return (await registry.getMetricsAsJSON()).map((m) => {
    // labelNames is set on every prom-client metric but not part of its public typing.
    const labels = (registry.getSingleMetric(m.name) as unknown as { labelNames?: string[] }).labelNames ?? [];
    return { name: m.name, type: String(m.type), labels: [...labels] };
  });
}

describe('metrics catalog (docs/metrics.md)', () => {
  const catalog = parseCatalog(readFileSync(catalogPath, 'utf8'));

  it('parses a row per metric, each listed once', () => {
    expect(catalog.length).toBeGreaterThan(40);
    const names = catalog.map((r) => r.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists every registered metric with its type and labels', async () => {
    for (const metric of await registered()) {
      const row = catalog.find((r) => r.name === metric.name);
      expect(row, `${metric.name} is registered but missing from docs/metrics.md`).toBeDefined();
      expect(row!.type, `type of ${metric.name}`).toBe(metric.type);
      expect(row!.labels.sort(), `labels of ${metric.name}`).toEqual(metric.labels.sort());
    }
  });

  it('lists no metric the collector does not register', async () => {
    const names = new Set((await registered()).map((m) => m.name));
    for (const row of catalog) expect(names.has(row.name), `${row.name} is in docs/metrics.md but not registered`).toBe(true);
  });

  it('is the catalog the collector README points to', () => {
    const readme = readFileSync(new URL('../../collector/README.md', import.meta.url), 'utf8');
    expect(readme).toContain('docs/metrics.md');
  });
});
