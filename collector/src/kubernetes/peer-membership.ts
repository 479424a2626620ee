// With the API on, the peer set is the Nodes joined with the agents' self-descriptions: a node
// is a peer only while the API lists it and is not deleting it (the agents' hellos still say
// what it has: addresses, VTEP MAC, probe port). A Node deleted leaves every peer set at
// once, even while its agents still run. Before the first list, and while the API is
// unreachable, the last view decides — a node never leaves because the API went away.
import type { ClusterModel, PeerMembership } from '../model/cluster-model.ts';
import type { NodeInformer } from './node-informer.ts';

export function createApiPeerMembership(informer: Pick<NodeInformer, 'records' | 'status'>): PeerMembership {
  return {
    admits(name) {
      if (!informer.status.synced) return true;
      const record = informer.records.get(name);
      return record !== undefined && !record.deleting;
    },
  };
}

/** Re-decides membership when the API's view changes: the one Node, or every node on a status change. */
export function followApiMembership(
  informer: Pick<NodeInformer, 'onChange'>,
  model: Pick<ClusterModel, 'admissionChanged' | 'snapshot'>,
): void {
  informer.onChange((node) => model.admissionChanged(node !== undefined ? [node] : model.snapshot().nodes.map((n) => n.name)));
}
