// One localization pass per snapshot shared by the mesh detectors: which nodes are
// isolated, have one protocol blocked, or lose large probes, per network.
import type { AgentNetwork, ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { PathProtocol } from '../probes/probe-store.ts';
import type { DetectorConfig } from './finding-candidate.ts';
import type { Localized } from './localize.ts';
import { meshOf } from './mesh-pairs.ts';
import { meshNetworks, type Pair } from './pair.ts';

export interface MeshAnalysis {
  readonly isolated: ReadonlyMap<AgentNetwork, Localized[]>;
  readonly blocked: ReadonlyMap<AgentNetwork, ReadonlyMap<PathProtocol, Localized[]>>;
  readonly mtu: ReadonlyMap<AgentNetwork, Localized[]>;
}

const cache = new WeakMap<ClusterSnapshot, WeakMap<DetectorConfig, MeshAnalysis>>();

export function analyzeMesh(snapshot: ClusterSnapshot, config: DetectorConfig): MeshAnalysis {
  let byConfig = cache.get(snapshot);
  if (!byConfig) cache.set(snapshot, (byConfig = new WeakMap()));
  const cached = byConfig.get(config);
  if (cached) return cached;
  const { index } = meshOf(snapshot, config);
  const analysis: MeshAnalysis = {
    isolated: new Map(meshNetworks.map((n) => [n, index.localize(n, 'isolated')])),
    blocked: new Map(meshNetworks.map((n) => [n, new Map([['udp', index.localize(n, 'udpBlocked')], ['tcp', index.localize(n, 'tcpBlocked')]] as const)])),
    mtu: new Map(meshNetworks.map((n) => [n, index.localize(n, 'mtu')])),
  };
  byConfig.set(config, analysis);
  return analysis;
}

/** Nodes with UDP blocked on the host network: a VXLAN overlay rides on UDP, so their pod network is down with it. */
export const udpBlockedOnHost = (analysis: MeshAnalysis): Set<string> => new Set((analysis.blocked.get('host')?.get('udp') ?? []).map((l) => l.node));

export const peersOf = (node: string, pairs: readonly Pair[]): string[] => [...new Set(pairs.map((p) => (p.source === node ? p.destination : p.source)))].sort();

export const listNames = (names: string[], max = 10): string => (names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`);
