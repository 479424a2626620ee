// Which of a node's two agents: the host agent (hostNetwork) or the pod agent (pod network).
// The one mapping between the wire enum and the model's name; at the bottom of the collector,
// so the model and the probe store both read it without importing each other.
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

export type AgentNetwork = 'host' | 'pod';

/** The model's name for a wire network; undefined for NETWORK_UNSPECIFIED or a value this build does not know. */
export function agentNetworkOf(network: Network): AgentNetwork | undefined {
  return network === Network.HOST ? 'host' : network === Network.POD ? 'pod' : undefined;
}

export function wireNetworkOf(network: AgentNetwork): Network {
  return network === 'host' ? Network.HOST : Network.POD;
}
