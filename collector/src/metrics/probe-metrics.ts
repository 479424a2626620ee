// Probe-mesh gauges, written from the snapshot's probe view at scrape time. O(nodes): they
// read the view's per-node totals, failing paths, DNS and agent stats, never every path.
// Node-level only, except netsentry_probe_pair_failing, which has a series only for pairs
// failing now, and at most a budget of them.
import type { Registry } from 'prom-client';
import { createNodeMtuCache } from '../detectors/mtu-mismatch.ts';
import type { MetricsScrape } from './metrics-scrape.ts';
import { eachInSteps, registerTextFamily } from './text-family.ts';

/** Per-pair series one scrape may carry; the pairs past it are still counted in netsentry_probe_pairs_failing. */
export const defaultMaxFailingPairSeries = 1000;

export function registerProbeMetrics(
  registry: Registry,
  current: () => MetricsScrape,
  options = { maxFailingPairSeries: defaultMaxFailingPairSeries },
): void {
  const mtus = createNodeMtuCache();
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_probe_loss_ratio',
      help: 'Share of small probes lost over the recent window, per node, direction, network and protocol.',
      type: 'gauge',
      labelNames: ['node', 'direction', 'network', 'protocol'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.probes.nodeTotals, (t) => {
          if (t.outbound.attempts > 0) emit(t.outbound.failures / t.outbound.attempts, t.node, 'outbound', t.network, t.protocol);
          if (t.inbound.attempts > 0) emit(t.inbound.failures / t.inbound.attempts, t.node, 'inbound', t.network, t.protocol);
        });
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_probe_rtt_median_seconds',
      help: "Median round-trip time of a node's outbound small UDP probes over the recent window.",
      type: 'gauge',
      labelNames: ['node', 'network'],
      collect({ snapshot }, emit) {
        // nodeTotals carries the median of the node's per-path medians (UDP entries only).
        return eachInSteps(snapshot.probes.nodeTotals, (t) => {
          if (t.protocol === 'udp' && t.rttP50Seconds !== undefined) emit(t.rttP50Seconds, t.node, t.network);
        });
      },
    },
    current,
  );
  // Failing pairs: counted in full per network and protocol, exported one series per pair only up
  // to a budget (a partitioned cluster of N nodes fails O(N²) pairs). The budget takes the pairs
  // in a stable order so the exported set does not churn between scrapes.
  const failingSmall = (scrape: MetricsScrape) => scrape.snapshot.probes.failingPaths.filter((p) => p.failing && p.size === 'small');
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_probe_pairs_failing',
      help: 'Directed pairs failing now (small probes), per network and protocol; counts every pair, also those past the per-pair series budget.',
      type: 'gauge',
      labelNames: ['network', 'protocol'],
      collect(scrape, emit) {
        const counts = new Map<string, number>(
          ['host', 'pod'].flatMap((n) => ['udp', 'tcp'].map((p) => [`${n}\u0000${p}`, 0] as [string, number])),
        );
        for (const p of failingSmall(scrape))
          counts.set(`${p.network}\u0000${p.protocol}`, (counts.get(`${p.network}\u0000${p.protocol}`) ?? 0) + 1);
        for (const [key, n] of counts) emit(n, ...(key.split('\u0000') as [string, string]));
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_probe_pair_failing',
      help: `1 for each directed pair failing now (small probes), at most ${options.maxFailingPairSeries} series; pairs that are fine have no series.`,
      type: 'gauge',
      labelNames: ['source', 'destination', 'network', 'protocol'],
      collect(scrape, emit) {
        const pairs = failingSmall(scrape);
        if (pairs.length > options.maxFailingPairSeries) {
          const key = (p: (typeof pairs)[number]) => `${p.source}\u0000${p.destination}\u0000${p.network}\u0000${p.protocol}`;
          pairs.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
          pairs.length = options.maxFailingPairSeries;
        }
        for (const p of pairs) emit(1, p.source, p.destination, p.network, p.protocol);
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_dns_probe_success_ratio',
      help: 'Share of DNS probes from a node that succeeded over the recent window, per protocol.',
      type: 'gauge',
      labelNames: ['node', 'protocol'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.probes.dns, (d) => emit(1 - d.lossRatio, d.source, d.protocol));
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_agent_event_loop_delay_seconds',
      help: 'p99 event-loop delay each agent reported with its latest probe batch.',
      type: 'gauge',
      labelNames: ['node', 'network'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.probes.agents, (a) => emit(a.eventLoopDelayP99Seconds, a.node, a.network));
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_node_mtu_bytes',
      help: 'MTU of the overlay and underlay devices of each node, from its latest report (or hello).',
      type: 'gauge',
      labelNames: ['node', 'device_role'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.nodes, (node) => {
          if (!node.hostAgent) return;
          // Kept per report and hello: no link search per node per scrape.
          const m = mtus.of(node);
          if (m.overlay) emit(m.overlay, node.name, 'overlay');
          if (m.underlay) emit(m.underlay, node.name, 'underlay');
        });
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_conntrack_fill_ratio',
      help: 'Conntrack entries / max entries on each node, from its latest report.',
      type: 'gauge',
      labelNames: ['node'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.nodes, (node) => {
          const ct = node.hostAgent?.report?.conntrack;
          if (ct?.available && ct.maxEntries > 0n) emit(Number(ct.entries) / Number(ct.maxEntries), node.name);
        });
      },
    },
    current,
  );
}
