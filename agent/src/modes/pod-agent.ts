// The pod-network agent: lives in a pod's network namespace, says hello as a POD agent and
// keeps the peer set for the prober. No kernel state is read here; the uplink sends heartbeats.
import { create } from '@bufbuild/protobuf';
import { HelloSchema, type Hello, type Peer, type PeerSet } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayDeviceSchema, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { version } from '../../../shared/src/version.ts';
import type { PodNetwork } from '../pod-network.ts';

export interface PodAgentOptions {
  nodeName: string;
  pod: PodNetwork;
  podCidrs: readonly string[];
  probePort: number;
  logger: Logger;
}

export interface PodAgent {
  readonly hello: () => Hello;
  /** The current peers (this node excluded by create-agent.ts). */
  peers(): readonly Peer[];
  onPeerSet(peerSet: PeerSet): void;
}

export function createPodAgent(options: PodAgentOptions): PodAgent {
  const log = options.logger.child({ component: 'pod-agent' });
  for (const note of options.pod.notes) log.info({ note }, 'pod network self-description');
  log.info(
    { podIp: options.pod.podIp, interface: options.pod.interfaceName, mtu: options.pod.mtu, podCidrs: options.podCidrs },
    'pod agent started',
  );
  let peers: readonly Peer[] = [];

  return {
    hello: () =>
      create(HelloSchema, {
        nodeName: options.nodeName,
        network: Network.POD,
        addresses: [options.pod.podIp],
        podCidrs: [...options.podCidrs],
        agentVersion: version,
        probeAddress: options.pod.podIp,
        probePort: options.probePort,
        overlay: create(OverlayDeviceSchema, { kind: OverlayKind.NONE }),
      }),
    peers: () => peers,
    onPeerSet: (peerSet) => {
      peers = peerSet.peers;
    },
  };
}
