// The probe mesh as detectors see it: per network, one record per directed pair of live
// nodes with its UDP (small and large) and TCP path states. A pair whose target agent is
// disconnected or missing is left out: a dead responder is AgentMissing, not a network
// fault. Kept by an incremental index (mesh-index.ts), synced once per snapshot, so every
// mesh detector shares one pass.
import type { AgentNetwork, ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { PathStateFeed } from '../probes/probe-view.ts';
import type { DetectorConfig } from './finding-candidate.ts';
import { createMeshIndex, type MeshIndex } from './mesh-index.ts';
import type { Pair } from './pair.ts';

export interface Mesh {
  /** The live pair source → destination on `network`, if known. */
  pair(network: AgentNetwork, source: string, destination: string): Pair | undefined;
  /** Live pairs with a failing UDP or TCP path, sorted by source then destination. */
  failingPairs(network: AgentNetwork): readonly Pair[];
  readonly index: MeshIndex;
}

// One index per probe feed (a model's probe view) and detector config, kept across passes.
const indexes = new WeakMap<PathStateFeed, WeakMap<DetectorConfig, MeshIndex>>();
const synced = new WeakMap<ClusterSnapshot, WeakMap<DetectorConfig, Mesh>>();

export function meshOf(snapshot: ClusterSnapshot, config: DetectorConfig): Mesh {
  let byConfig = synced.get(snapshot);
  if (!byConfig) synced.set(snapshot, (byConfig = new WeakMap()));
  const cached = byConfig.get(config);
  if (cached) return cached;
  const feed = snapshot.probes.feed;
  let perFeed = indexes.get(feed);
  if (!perFeed) indexes.set(feed, (perFeed = new WeakMap()));
  let index = perFeed.get(config);
  if (!index) perFeed.set(config, (index = createMeshIndex(feed, config)));
  index.sync(snapshot);
  const failing = new Map<AgentNetwork, readonly Pair[]>();
  const mesh: Mesh = {
    pair: (network, source, destination) => index.pair(network, source, destination),
    failingPairs(network) {
      let list = failing.get(network);
      if (!list) failing.set(network, (list = index.failingPairs(network)));
      return list;
    },
    index,
  };
  byConfig.set(config, mesh);
  return mesh;
}
