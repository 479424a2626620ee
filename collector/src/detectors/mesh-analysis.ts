// One localization pass per snapshot shared by the mesh detectors: which nodes are
// isolated, have one protocol blocked, or lose large probes, per network.
import type { AgentNetwork, ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { PathProtocol } from '../probes/probe-store.ts';
import type { DetectorConfig } from './finding-candidate.ts';
import { localize, type Localized } from './localize.ts';
import { meshNetworks, meshOf, pairStatus, type Pair } from './mesh-pairs.ts';

export interface MeshAnalysis {
  readonly isolated: ReadonlyMap<AgentNetwork, Localized[]>;
  readonly blocked: ReadonlyMap<AgentNetwork, ReadonlyMap<PathProtocol, Localized[]>>;
  readonly mtu: ReadonlyMap<AgentNetwork, Localized[]>;
}

const isolatedVerdict = (pair: Pair): boolean | undefined => {
  const status = pairStatus(pair);
  return status === 'unknown' ? undefined : status === 'failing';
};

/** `protocol` fails while the other protocol is healthy on the same pair. */
export const blockedVerdict = (protocol: PathProtocol) => (pair: Pair): boolean | undefined => {
  const [mine, other] = protocol === 'udp' ? [pair.udp, pair.tcp] : [pair.tcp, pair.udp];
  if (!mine || !other) return undefined;
  return mine.failing && other.healthy;
};

/** Large UDP probes fail while small ones on the same pair do not. */
export const mtuVerdict = (pair: Pair): boolean | undefined => (pair.large && pair.udp ? pair.large.failing && !pair.udp.failing : undefined);

const cache = new WeakMap<ClusterSnapshot, WeakMap<DetectorConfig, MeshAnalysis>>();

export function analyzeMesh(snapshot: ClusterSnapshot, config: DetectorConfig): MeshAnalysis {
  let byConfig = cache.get(snapshot);
  if (!byConfig) cache.set(snapshot, (byConfig = new WeakMap()));
  const cached = byConfig.get(config);
  if (cached) return cached;
  const mesh = meshOf(snapshot, config);
  const pairsOf = (network: AgentNetwork) => mesh.pairs.get(network) ?? [];
  const analysis: MeshAnalysis = {
    isolated: new Map(meshNetworks.map((n) => [n, localize(pairsOf(n), isolatedVerdict)])),
    blocked: new Map(meshNetworks.map((n) => [n, new Map((['udp', 'tcp'] as const).map((p) => [p, localize(pairsOf(n), blockedVerdict(p))]))])),
    mtu: new Map(meshNetworks.map((n) => [n, localize(pairsOf(n), mtuVerdict)])),
  };
  byConfig.set(config, analysis);
  return analysis;
}

/** Nodes with UDP blocked on the host network: a VXLAN overlay rides on UDP, so their pod network is down with it. */
export const udpBlockedOnHost = (analysis: MeshAnalysis): Set<string> => new Set((analysis.blocked.get('host')?.get('udp') ?? []).map((l) => l.node));

export const peersOf = (node: string, pairs: readonly Pair[]): string[] => [...new Set(pairs.map((p) => (p.source === node ? p.destination : p.source)))].sort();

export const listNames = (names: string[], max = 10): string => (names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`);
