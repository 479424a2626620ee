// The probe mesh as detectors see it: per network, one record per directed pair of live
// nodes with its UDP (small and large) and TCP path states. A pair whose target agent is
// disconnected or missing is left out: a dead responder is AgentMissing, not a network
// fault. Memoized per snapshot, so every mesh detector shares one pass.
import type { AgentNetwork, AgentState, ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import type { PathState } from '../probes/probe-view.ts';
import { isMissing } from './agent-missing.ts';
import type { DetectorConfig } from './finding-candidate.ts';

export interface Pair {
  readonly source: string;
  readonly destination: string;
  readonly network: AgentNetwork;
  udp?: PathState;
  tcp?: PathState;
  large?: PathState;
}

export const meshNetworks: readonly AgentNetwork[] = ['host', 'pod'];

export const isAlive = (agent: AgentState | undefined, nowMs: number, config: DetectorConfig): boolean =>
  agent !== undefined && agent.connected && !isMissing(agent, nowMs, config);

const agentOf = (node: NodeState, network: AgentNetwork): AgentState | undefined => (network === 'host' ? node.hostAgent : node.podAgent);

/** Reachability of a pair: failing when a protocol fails and none is healthy. */
export function pairStatus(pair: Pair): 'failing' | 'ok' | 'unknown' {
  const states = [pair.udp, pair.tcp].filter((s): s is PathState => s !== undefined);
  if (states.length === 0) return 'unknown';
  return states.some((s) => s.failing) && !states.some((s) => s.healthy) ? 'failing' : 'ok';
}

/** The failing path of a pair that says most about direction (UDP first). */
export const failingPath = (pair: Pair): PathState | undefined => [pair.udp, pair.tcp, pair.large].find((s) => s?.failing);

export interface Mesh {
  /** Per network, pairs sorted by source then destination. */
  readonly pairs: ReadonlyMap<AgentNetwork, readonly Pair[]>;
  /** The pair source → destination on `network`, if known. */
  pair(network: AgentNetwork, source: string, destination: string): Pair | undefined;
}

const cache = new WeakMap<ClusterSnapshot, WeakMap<DetectorConfig, Mesh>>();

export function meshOf(snapshot: ClusterSnapshot, config: DetectorConfig): Mesh {
  let byConfig = cache.get(snapshot);
  if (!byConfig) cache.set(snapshot, (byConfig = new WeakMap()));
  const cached = byConfig.get(config);
  if (cached) return cached;
  const nodes = new Map(snapshot.nodes.map((n) => [n.name, n]));
  const live = (name: string, network: AgentNetwork): boolean => {
    const node = nodes.get(name);
    return node !== undefined && isAlive(agentOf(node, network), snapshot.nowMs, config);
  };
  // A source counts when any of its agents is alive (host and pod agents both probe pod peers).
  const liveSource = (name: string, network: AgentNetwork): boolean => live(name, 'host') || (network === 'pod' && live(name, 'pod'));
  // Nested maps keyed by the paths' own strings: no key building per path.
  const maps = new Map<AgentNetwork, Map<string, Map<string, Pair>>>(meshNetworks.map((n) => [n, new Map()]));
  const liveCache = new Map<string, boolean>();
  const liveMemo = (name: string, network: AgentNetwork, source: boolean): boolean => {
    const key = `${source ? 's' : 'd'}${network}\u0000${name}`;
    let v = liveCache.get(key);
    if (v === undefined) liveCache.set(key, (v = source ? liveSource(name, network) : live(name, network)));
    return v;
  };
  const all = new Map<AgentNetwork, Pair[]>(meshNetworks.map((n) => [n, []]));
  for (const path of snapshot.probes.paths) {
    if (!liveMemo(path.destination, path.network, false) || !liveMemo(path.source, path.network, true)) continue;
    const bySource = maps.get(path.network)!;
    let byDestination = bySource.get(path.source);
    if (!byDestination) bySource.set(path.source, (byDestination = new Map()));
    let pair = byDestination.get(path.destination);
    if (!pair) {
      byDestination.set(path.destination, (pair = { source: path.source, destination: path.destination, network: path.network }));
      all.get(path.network)!.push(pair);
    }
    if (path.protocol === 'tcp') pair.tcp = path;
    else if (path.size === 'large') pair.large = path;
    else pair.udp = path;
  }
  const order = (a: Pair, b: Pair): number => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : a.destination > b.destination ? 1 : 0);
  const mesh: Mesh = {
    pairs: new Map([...all].map(([network, pairs]) => [network, pairs.sort(order)])),
    pair: (network, source, destination) => maps.get(network)?.get(source)?.get(destination),
  };
  byConfig.set(config, mesh);
  return mesh;
}
