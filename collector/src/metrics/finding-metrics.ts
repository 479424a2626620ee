// Cluster-wide summary of open findings, one series per finding kind, initialised to 0 for
// every kind the detectors can produce. netsentry_findings{kind,severity,node} has series
// only while something is wrong; this one always exists, so absent() and "== 0" work and a
// dashboard shows a flat zero instead of "no data" on a healthy cluster.
import type { Registry } from 'prom-client';
import { defaultDetectors } from '../detectors/index.ts';
import type { MetricsScrape } from './metrics-scrape.ts';
import { registerTextFamily } from './text-family.ts';

/** Every finding kind a detector owns, in the detectors' order. */
export const findingKinds: readonly string[] = Object.freeze(defaultDetectors().map((d) => d.kind));

export function registerFindingMetrics(registry: Registry, current: () => MetricsScrape): void {
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_findings',
      help: 'Open findings, 1 per finding and node it concerns.',
      type: 'gauge',
      labelNames: ['kind', 'severity', 'node'],
      collect({ openFindings }, emit) {
        // Summed per label set: two open findings of one kind can name the same node.
        const counts = new Map<string, { kind: string; severity: string; node: string; count: number }>();
        for (const finding of openFindings) {
          for (const node of finding.nodes) {
            const key = `${finding.kind}\u0000${finding.severity}\u0000${node}`;
            const entry = counts.get(key);
            if (entry) entry.count += 1;
            else counts.set(key, { kind: finding.kind, severity: finding.severity, node, count: 1 });
          }
        }
        for (const { kind, severity, node, count } of counts.values()) emit(count, kind, severity, node);
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_open_findings',
      help: 'Open findings by kind, cluster-wide (0 for every kind when healthy).',
      type: 'gauge',
      labelNames: ['kind'],
      collect({ openFindings }, emit) {
        const counts = new Map<string, number>(findingKinds.map((kind) => [kind, 0]));
        for (const finding of openFindings) counts.set(finding.kind, (counts.get(finding.kind) ?? 0) + 1);
        for (const [kind, count] of counts) emit(count, kind);
      },
    },
    current,
  );
}
