// Probe-mesh gauges, written from the snapshot's probe view at scrape time. O(nodes): they
// read the view's per-node totals, failing paths, DNS and agent stats, never every path.
// Node-level only, except netsentry_probe_pair_failing, which has a series only for pairs
// failing now.
import type { Registry } from 'prom-client';
import { nodeMtus } from '../detectors/mtu-mismatch.ts';
import type { MetricsScrape } from './metrics-scrape.ts';
import { eachInSteps, registerTextFamily } from './text-family.ts';

export function registerProbeMetrics(registry: Registry, current: () => MetricsScrape): void {
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
      name: 'netsentry_probe_rtt_seconds',
      help: 'Median round-trip time of a node\'s outbound small UDP probes over the recent window.',
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
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_probe_pair_failing',
      help: '1 for each directed pair failing now (small probes); pairs that are fine have no series.',
      type: 'gauge',
      labelNames: ['source', 'destination', 'network', 'protocol'],
      collect({ snapshot }, emit) {
        for (const p of snapshot.probes.failingPaths) if (p.failing && p.size === 'small') emit(1, p.source, p.destination, p.network, p.protocol);
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
          // nodeMtus keeps its answer per report (or hello): no link search per scrape.
          const m = nodeMtus(node);
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
