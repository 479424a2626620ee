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

/** The peer entry for a node's agent on `network`, undefined when the node has no such agent. */
export function peerOf(node: NodeState, network: AgentNetwork): Peer | undefined {
  const agent = network === 'host' ? node.hostAgent : node.podAgent;
  if (!agent) return undefined;
  const hello = agent.hello;
  return create(PeerSchema, {
    nodeName: node.name,
    network: wireNetworkOf(network),
    // For pod agents the peer's node IP is its host agent's address, when known.
    nodeIp: (network === 'host' ? hello.addresses[0] : node.hostAgent?.hello.addresses[0]) ?? '',
    podCidrs: [...podCidrsOf(node, network)],
    vtepMac: network === 'host' ? (hello.overlay?.vtepMac ?? '') : '',
    probeAddress: hello.probeAddress,
    probePort: hello.probePort,
  });
}

/** The parts of a hello that end up in other agents' peer sets; a change bumps the generation. */
export function peerFingerprint(node: NodeState, network: AgentNetwork): string | undefined {
  const agent = network === 'host' ? node.hostAgent : node.podAgent;
  if (!agent) return undefined;
  const hello = agent.hello;
  const nodeIp = network === 'host' ? hello.addresses[0] : node.hostAgent?.hello.addresses[0];
  return [
    nodeIp ?? '',
    podCidrsOf(node, network).join(','),
    network === 'host' ? (hello.overlay?.vtepMac ?? '') : '',
    hello.probeAddress,
    hello.probePort,
  ].join('|');
}
