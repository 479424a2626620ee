// One localization of the mesh, shared by the mesh detectors of a pass (mesh-pass.ts): which
// nodes are isolated, have one protocol blocked, or lose large probes, per network.
import type { AgentNetwork } from '../model/agent-network.ts';
import type { PathProtocol } from '../probes/probe-store.ts';
import type { Localized } from './localize.ts';
import type { Mesh } from './mesh-pairs.ts';
import { meshNetworks, type Pair } from './pair.ts';

export interface MeshAnalysis {
  readonly isolated: ReadonlyMap<AgentNetwork, Localized[]>;
  readonly blocked: ReadonlyMap<AgentNetwork, ReadonlyMap<PathProtocol, Localized[]>>;
  readonly mtu: ReadonlyMap<AgentNetwork, Localized[]>;
}

export function analyzeMesh({ index }: Mesh): MeshAnalysis {
  return {
    isolated: new Map(meshNetworks.map((n) => [n, index.localize(n, 'isolated')])),
    blocked: new Map(
      meshNetworks.map((n) => [
        n,
        new Map([
          ['udp', index.localize(n, 'udpBlocked')],
          ['tcp', index.localize(n, 'tcpBlocked')],
        ] as const),
      ]),
    ),
    mtu: new Map(meshNetworks.map((n) => [n, index.localize(n, 'mtu')])),
  };
}

/** Nodes with UDP blocked on the host network: a VXLAN overlay rides on UDP, so their pod network is down with it. */
export const udpBlockedOnHost = (analysis: MeshAnalysis): Set<string> =>
  new Set((analysis.blocked.get('host')?.get('udp') ?? []).map((l) => l.node));

export const peersOf = (node: string, pairs: readonly Pair[]): string[] =>
  [...new Set(pairs.map((p) => (p.source === node ? p.destination : p.source)))].sort();

export const listNames = (names: string[], max = 10): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
