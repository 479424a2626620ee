// Cluster-wide summary of open findings, one series per finding kind, initialised to 0 for
// every kind the detectors can produce. netsentry_findings{kind,severity,node} has series
// only while something is wrong; this one always exists, so absent() and "== 0" work and a
// dashboard shows a flat zero instead of "no data" on a healthy cluster.
import { Gauge, type Registry } from 'prom-client';
import { defaultDetectors } from '../detectors/index.ts';
import type { FindingsEngine } from '../findings/findings-engine.ts';

/** Every finding kind a detector owns, in the detectors' order. */
export const findingKinds: readonly string[] = Object.freeze(defaultDetectors().map((d) => d.kind));

export function registerFindingMetrics(findings: Pick<FindingsEngine, 'list'>, registry: Registry): void {
  new Gauge({
    name: 'netsentry_open_findings',
    help: 'Open findings by kind, cluster-wide (0 for every kind when healthy).',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      const counts = new Map<string, number>(findingKinds.map((kind) => [kind, 0]));
      for (const finding of findings.list({ state: 'open' })) counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
      for (const [kind, count] of counts) this.set({ kind }, count);
    },
  });
}
