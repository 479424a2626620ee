// The API's health as the collector sees it: O(1) series, registered only with the API on.
import { Gauge, type Registry } from 'prom-client';
import type { NodeInformer } from './node-informer.ts';

export function registerKubernetesMetrics(registry: Registry, informer: Pick<NodeInformer, 'status' | 'records'>): void {
  new Gauge({
    name: 'netsentry_kubernetes_api_up',
    help: '1 while the Node list+watch on the Kubernetes API works, 0 while it is unreachable (the collector keeps its last view of Nodes meanwhile).',
    registers: [registry],
    collect() {
      this.set(informer.status.reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'netsentry_kubernetes_nodes',
    help: "Nodes in the collector's current (or last) view of the Kubernetes API.",
    registers: [registry],
    collect() {
      this.set(informer.records.size);
    },
  });
}
