// Which agent answers for a node's pod network: its pod agent, or — on a node that runs none —
// its host agent when that one probes and answers through the overlay itself
// (agent --pod-network-probes via-overlay, hello.pod_probe_address). The one place this is
// decided: peer sets, the mesh index, the matrix and the target detectors all read it.
import type { AgentState, NodeState } from './cluster-snapshot.ts';

export function podNetworkAgent(node: NodeState): AgentState | undefined {
  return node.podAgent ?? (node.hostAgent?.hello.podProbeAddress ? node.hostAgent : undefined);
}

/** The agent that answers for `network` on this node. */
export function networkAgent(node: NodeState, network: 'host' | 'pod'): AgentState | undefined {
  return network === 'host' ? node.hostAgent : podNetworkAgent(node);
}
