// --network pod: says hello from a pod's network namespace and probes peers over the pod
// interface; no kernel state is read.
import type { Logger } from '../../../shared/src/logger.ts';
import type { PodNetwork } from '../pod-network.ts';
import { toProbeTargets } from '../probe/probe-targets.ts';
import type { Mode } from './mode.ts';
import { createPodAgent } from './pod-agent.ts';

export function startPodMode(options: {
  nodeName: string;
  pod: PodNetwork;
  podCidrs: readonly string[];
  probePort: number;
  logger: Logger;
}): Mode {
  const agent = createPodAgent(options);
  const mtus = { host: options.pod.mtu, pod: options.pod.mtu };
  return {
    hello: agent.hello,
    onWelcome: () => undefined,
    onPeerSet: (peerSet) => agent.onPeerSet(peerSet),
    targets: () => toProbeTargets(agent.peers(), options.nodeName, mtus),
    peers: () => agent.peers(),
    stop: async () => undefined,
  };
}
