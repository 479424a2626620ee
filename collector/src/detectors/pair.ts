// A directed pair of the probe mesh and the primitives every mesh detector and the mesh index
// share. Its own file so the index (mesh-index.ts) and the per-snapshot mesh (mesh-pairs.ts)
// both build on it without importing each other.
import type { AgentNetwork } from '../model/agent-network.ts';
import type { AgentState } from '../model/cluster-snapshot.ts';
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

/** Reachability of a pair: failing when a protocol fails and none is healthy. */
export function pairStatus(pair: Pair): 'failing' | 'ok' | 'unknown' {
  // No arrays or closures: the mesh index asks this for every pair that changes.
  const { udp, tcp } = pair;
  if (!udp && !tcp) return 'unknown';
  const anyFailing = udp?.failing === true || tcp?.failing === true;
  const anyHealthy = udp?.healthy === true || tcp?.healthy === true;
  return anyFailing && !anyHealthy ? 'failing' : 'ok';
}

/** The failing path of a pair that says most about direction (UDP first). */
export const failingPath = (pair: Pair): PathState | undefined => [pair.udp, pair.tcp, pair.large].find((s) => s?.failing);
