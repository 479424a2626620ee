// Peer set → probe targets: every peer with a probeable address, except this node's own agents,
// each with the sender's MTU for the network it is reached on.
import type { Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { PeerTarget } from './probe-types.ts';
import { unprobeableReason } from '../../../shared/src/probe-address.ts';

export interface PathMtus {
  /** Host agent → host peer: the underlay device's MTU. */
  host: number;
  /** → pod peer: the overlay device's MTU (host agent) or the pod interface's MTU (pod agent). */
  pod: number;
}

export function toProbeTargets(peers: readonly Peer[], selfNode: string, mtus: PathMtus): PeerTarget[] {
  return (
    peers
      .filter(
        (p) =>
          p.nodeName !== selfNode && p.probeAddress !== '' && p.probePort > 0 && (p.network === Network.HOST || p.network === Network.POD),
      )
      // The collector refuses these in hellos; checked here too, so no peer set can aim the mesh at them.
      .filter((p) => unprobeableReason(p.probeAddress) === undefined)
      .map((p) => ({
        nodeName: p.nodeName,
        network: p.network,
        address: p.probeAddress,
        port: p.probePort,
        mtu: p.network === Network.HOST ? mtus.host : mtus.pod,
      }))
  );
}
