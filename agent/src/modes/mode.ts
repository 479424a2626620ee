// What the composition root (create-agent.ts) needs from either mode: a hello, the peers to
// probe and what to do on a welcome or a peer set. The modes never see the uplink's wiring.
import type { Hello, Peer, PeerSet, Welcome } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { PeerTarget } from '../probe/probe-types.ts';

export interface Mode {
  hello: () => Hello;
  onWelcome: (welcome: Welcome) => void;
  /** The peer set without this node. */
  onPeerSet: (peerSet: PeerSet) => void;
  targets: () => PeerTarget[];
  /** The current peer set (other nodes' agents): who the probe responder keeps receipts for. */
  peers: () => readonly Peer[];
  stop: () => Promise<void>;
}
