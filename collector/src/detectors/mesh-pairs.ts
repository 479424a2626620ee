// The probe mesh as detectors see it: per network, one record per directed pair of live
// nodes with its UDP (small and large) and TCP path states. A pair whose target agent is
// disconnected or missing is left out: a dead responder is AgentMissing, not a network
// fault. Kept by an incremental index (mesh-index.ts), synced once per pass (mesh-pass.ts).
import type { AgentNetwork } from '../model/agent-network.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { MeshIndex } from './mesh-index.ts';
import type { Pair } from './pair.ts';

export interface Mesh {
  /** The live pair source → destination on `network`, if known. */
  pair(network: AgentNetwork, source: string, destination: string): Pair | undefined;
  /** Live pairs with a failing UDP or TCP path, sorted by source then destination. */
  failingPairs(network: AgentNetwork): readonly Pair[];
  readonly index: MeshIndex;
}

/** The mesh as of `snapshot`: syncs the incremental index to it (once per pass, mesh-pass.ts). */
export function syncMesh(index: MeshIndex, snapshot: ClusterSnapshot): Mesh {
  index.sync(snapshot);
  const failing = new Map<AgentNetwork, readonly Pair[]>();
  return {
    pair: (network, source, destination) => index.pair(network, source, destination),
    failingPairs(network) {
      let list = failing.get(network);
      if (!list) failing.set(network, (list = index.failingPairs(network)));
      return list;
    },
    index,
  };
}
