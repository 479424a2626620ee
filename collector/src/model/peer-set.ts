// The desired state each agent verifies against: every other known agent on the same network.
import { create } from '@bufbuild/protobuf';
import { PeerSchema, type Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { wireNetworkOf, type AgentNetwork } from './agent-network.ts';
import type { NodeState } from './cluster-snapshot.ts';

/**
 * A pod agent that was not given --pod-cidr takes its node's (from the host agent's hello):
 * other agents' responders recognize a host agent's probes over the overlay by it (they come
 * from its VTEP address, inside the node's pod CIDR).
 */
function podCidrsOf(node: NodeState, network: AgentNetwork): readonly string[] {
  const own = (network === 'host' ? node.hostAgent : node.podAgent)?.hello.podCidrs ?? [];
  return own.length > 0 || network === 'host' ? own : (node.hostAgent?.hello.podCidrs ?? []);
}

/**
 * Where a node's agent on `network` answers probes. A node without a pod agent whose host
 * agent answers for the pod network (hello.pod_probe_address) has a pod-network peer all the
 * same: the host agent's responder at its overlay device's address, reached through the overlay.
 */
function probeEndpointOf(node: NodeState, network: AgentNetwork): { address: string; port: number } | undefined {
  if (network === 'host') return node.hostAgent && { address: node.hostAgent.hello.probeAddress, port: node.hostAgent.hello.probePort };
  if (node.podAgent) return { address: node.podAgent.hello.probeAddress, port: node.podAgent.hello.probePort };
  const host = node.hostAgent?.hello;
  return host?.podProbeAddress ? { address: host.podProbeAddress, port: host.probePort } : undefined;
}

/** The peer entry for a node's agent on `network`, undefined when nothing on the node answers for that network. */
export function peerOf(node: NodeState, network: AgentNetwork): Peer | undefined {
  const endpoint = probeEndpointOf(node, network);
  if (!endpoint) return undefined;
  return create(PeerSchema, {
    nodeName: node.name,
    network: wireNetworkOf(network),
    // For the pod network the peer's node IP is its host agent's address, when known.
    nodeIp: node.hostAgent?.hello.addresses[0] ?? '',
    podCidrs: [...podCidrsOf(node, network)],
    vtepMac: network === 'host' ? (node.hostAgent?.hello.overlay?.vtepMac ?? '') : '',
    probeAddress: endpoint.address,
    probePort: endpoint.port,
  });
}

/** The parts of a hello that end up in other agents' peer sets; a change bumps the generation. */
export function peerFingerprint(node: NodeState, network: AgentNetwork): string | undefined {
  const endpoint = probeEndpointOf(node, network);
  if (!endpoint) return undefined;
  return [
    node.hostAgent?.hello.addresses[0] ?? '',
    podCidrsOf(node, network).join(','),
    network === 'host' ? (node.hostAgent?.hello.overlay?.vtepMac ?? '') : '',
    endpoint.address,
    endpoint.port,
  ].join('|');
}
