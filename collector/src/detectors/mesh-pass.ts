// The work the mesh detectors share in one pass: the mesh index synced to the pass's snapshot
// and its localization. A detector set owns one MeshPasses (defaultDetectors) and hands it to
// its mesh detectors; the index lives across passes (it is incremental), the pass's results
// only as long as its snapshot is the latest.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { PathStateFeed } from '../probes/probe-view.ts';
import type { DetectorConfig } from './finding-candidate.ts';
import { analyzeMesh, type MeshAnalysis } from './mesh-analysis.ts';
import { createMeshIndex, type MeshIndex } from './mesh-index.ts';
import { syncMesh, type Mesh } from './mesh-pairs.ts';

export interface MeshPass {
  readonly mesh: Mesh;
  readonly analysis: MeshAnalysis;
}

export interface MeshPasses {
  /** The pass over `snapshot`: built by its first caller, shared by the rest. */
  of(snapshot: ClusterSnapshot): MeshPass;
}

export function createMeshPasses(config: DetectorConfig): MeshPasses {
  // One index per probe feed (a model's probe view): a new model starts a new index.
  let feed: PathStateFeed | undefined;
  let index: MeshIndex | undefined;
  let current: { snapshot: ClusterSnapshot; pass: MeshPass } | undefined;
  return {
    of(snapshot) {
      if (current?.snapshot === snapshot) return current.pass;
      if (!index || feed !== snapshot.probes.feed) {
        feed = snapshot.probes.feed;
        index = createMeshIndex(feed, config);
      }
      const mesh = syncMesh(index, snapshot);
      let analysis: MeshAnalysis | undefined;
      const pass: MeshPass = {
        mesh,
        get analysis() {
          return (analysis ??= analyzeMesh(mesh));
        },
      };
      current = { snapshot, pass };
      return pass;
    },
  };
}
