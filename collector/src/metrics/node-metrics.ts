// Per-node and membership gauges from the snapshot's nodes (latest hellos and reports),
// written as text at scrape time: O(nodes), no per-label-set hashing.
import type { Registry } from 'prom-client';
import type { MetricsScrape } from './metrics-scrape.ts';
import { eachInSteps, registerTextFamily } from './text-family.ts';
import { problemPeerCount } from '../model/overlay-counts.ts';

export function registerNodeMetrics(registry: Registry, current: () => MetricsScrape): void {
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_overlay_routes_missing',
      help: 'Peers whose overlay chain (route, neighbor, FDB) is incomplete or wrong on this node, from the latest host agent report.',
      type: 'gauge',
      labelNames: ['node'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.nodes, (node) => {
          const report = node.hostAgent?.report;
          if (report) emit(problemPeerCount(report.overlay), node.name);
        });
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_overlay_peers_checked',
      help: 'Peers the host agent verified the overlay chain toward in its latest report.',
      type: 'gauge',
      labelNames: ['node'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.nodes, (node) => {
          const report = node.hostAgent?.report;
          if (report) emit(report.overlay?.peersChecked ?? 0, node.name);
        });
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_agents_connected',
      help: 'Agents with an open stream to this collector.',
      type: 'gauge',
      labelNames: ['network'],
      collect({ snapshot }, emit) {
        let host = 0;
        let pod = 0;
        for (const node of snapshot.nodes) {
          if (node.hostAgent?.connected) host += 1;
          if (node.podAgent?.connected) pod += 1;
        }
        emit(host, 'host');
        emit(pod, 'pod');
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_agent_last_report_timestamp_seconds',
      help: 'Unix time of the latest node report from each agent.',
      type: 'gauge',
      labelNames: ['node', 'network'],
      collect({ snapshot }, emit) {
        return eachInSteps(snapshot.nodes, (node) => {
          if (node.hostAgent?.lastReportMs !== undefined) emit(node.hostAgent.lastReportMs / 1000, node.name, node.hostAgent.network);
          if (node.podAgent?.lastReportMs !== undefined) emit(node.podAgent.lastReportMs / 1000, node.name, node.podAgent.network);
        });
      },
    },
    current,
  );
  registerTextFamily<MetricsScrape>(
    registry,
    {
      name: 'netsentry_nodes_known',
      help: 'Nodes the collector knows (said hello and not expired).',
      type: 'gauge',
      labelNames: [],
      collect({ snapshot }, emit) {
        emit(snapshot.nodes.length);
      },
    },
    current,
  );
}
