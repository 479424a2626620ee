// What one /metrics scrape reads: a single cluster snapshot and the open findings, taken
// once at its start, so every family describes the same moment (and the probe view is
// built at most once per scrape).
import type { Finding } from '../findings/finding.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';

export interface MetricsScrape {
  readonly snapshot: ClusterSnapshot;
  readonly openFindings: readonly Finding[];
}
