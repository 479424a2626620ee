// Probe-mesh gauges, computed from the snapshot at scrape time. Node-level only, except
// netsentry_probe_pair_failing, which has a series only for pairs failing now.
import { Gauge, type Registry } from 'prom-client';
import { nodeMtus } from '../detectors/mtu-mismatch.ts';
import type { ClusterModel } from '../model/cluster-model.ts';

export function registerProbeMetrics(model: Pick<ClusterModel, 'snapshot'>, registry: Registry): void {
  const registers = [registry];
  new Gauge({
    name: 'netsentry_probe_loss_ratio',
    help: 'Share of small probes lost over the recent window, per node, direction, network and protocol.',
    labelNames: ['node', 'direction', 'network', 'protocol'],
    registers,
    collect() {
      this.reset();
      const sums = new Map<string, { labels: Record<string, string>; attempts: number; failures: number }>();
      const add = (node: string, direction: string, network: string, protocol: string, attempts: number, failures: number) => {
        const key = `${node}|${direction}|${network}|${protocol}`;
        const entry = sums.get(key) ?? { labels: { node, direction, network, protocol }, attempts: 0, failures: 0 };
        entry.attempts += attempts;
        entry.failures += failures;
        sums.set(key, entry);
      };
      for (const p of model.snapshot().probes.paths) {
        if (p.size !== 'small') continue;
        add(p.source, 'outbound', p.network, p.protocol, p.attempts, p.failures);
        add(p.destination, 'inbound', p.network, p.protocol, p.attempts, p.failures);
      }
      for (const { labels, attempts, failures } of sums.values()) if (attempts > 0) this.set(labels, failures / attempts);
    },
  });
  new Gauge({
    name: 'netsentry_probe_rtt_seconds',
    help: 'Median round-trip time of a node\'s outbound small UDP probes over the recent window.',
    labelNames: ['node', 'network'],
    registers,
    collect() {
      this.reset();
      const medians = new Map<string, { node: string; network: string; values: number[] }>();
      for (const p of model.snapshot().probes.paths) {
        if (p.protocol !== 'udp' || p.size !== 'small' || p.rttP50Seconds === undefined) continue;
        const key = `${p.source}|${p.network}`;
        const entry = medians.get(key) ?? { node: p.source, network: p.network, values: [] };
        entry.values.push(p.rttP50Seconds);
        medians.set(key, entry);
      }
      // The median of the per-path medians: O(paths), robust to one slow peer.
      for (const { node, network, values } of medians.values()) this.set({ node, network }, values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!);
    },
  });
  new Gauge({
    name: 'netsentry_probe_pair_failing',
    help: '1 for each directed pair failing now (small probes); pairs that are fine have no series.',
    labelNames: ['source', 'destination', 'network', 'protocol'],
    registers,
    collect() {
      this.reset();
      for (const p of model.snapshot().probes.paths) if (p.failing && p.size === 'small') this.set({ source: p.source, destination: p.destination, network: p.network, protocol: p.protocol }, 1);
    },
  });
  new Gauge({
    name: 'netsentry_dns_probe_success_ratio',
    help: 'Share of DNS probes from a node that succeeded over the recent window, per protocol.',
    labelNames: ['node', 'protocol'],
    registers,
    collect() {
      this.reset();
      for (const d of model.snapshot().probes.dns) this.set({ node: d.source, protocol: d.protocol }, 1 - d.lossRatio);
    },
  });
  new Gauge({
    name: 'netsentry_agent_event_loop_delay_seconds',
    help: 'p99 event-loop delay each agent reported with its latest probe batch.',
    labelNames: ['node', 'network'],
    registers,
    collect() {
      this.reset();
      for (const a of model.snapshot().probes.agents) this.set({ node: a.node, network: a.network }, a.eventLoopDelayP99Seconds);
    },
  });
  new Gauge({
    name: 'netsentry_node_mtu_bytes',
    help: 'MTU of the overlay and underlay devices of each node, from its latest report (or hello).',
    labelNames: ['node', 'device_role'],
    registers,
    collect() {
      this.reset();
      for (const node of model.snapshot().nodes) {
        if (!node.hostAgent) continue;
        const m = nodeMtus(node);
        if (m.overlay) this.set({ node: node.name, device_role: 'overlay' }, m.overlay);
        if (m.underlay) this.set({ node: node.name, device_role: 'underlay' }, m.underlay);
      }
    },
  });
  new Gauge({
    name: 'netsentry_conntrack_fill_ratio',
    help: 'Conntrack entries / max entries on each node, from its latest report.',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      for (const node of model.snapshot().nodes) {
        const ct = node.hostAgent?.report?.conntrack;
        if (ct?.available && ct.maxEntries > 0n) this.set({ node: node.name }, Number(ct.entries) / Number(ct.maxEntries));
      }
    },
  });
}
