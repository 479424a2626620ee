// The agent's copy of its peer set: a full PeerSet replaces it, a PeerSetDelta applies only
// on top of exactly its base generation and only after this stream's full set. Anything
// else leaves the set as it was and says why; the uplink then reconnects for a full set.
import { create } from '@bufbuild/protobuf';
import { PeerSetSchema, type Peer, type PeerSet, type PeerSetDelta } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { maxPeerSetEntries, peerKey, validatePeerSet, validatePeerSetDelta } from './validate-peer-set.ts';

export type PeerSetResult = { ok: true; peerSet: PeerSet } | { ok: false; reason: 'invalid' | 'mismatch'; detail: string };

export interface PeerSetState {
  /** A new stream: the next peer message must be a full set. */
  newStream(): void;
  applyFull(peerSet: PeerSet): PeerSetResult;
  applyDelta(delta: PeerSetDelta): PeerSetResult;
  /** The generation of the set held; undefined before the first full set. */
  readonly generation: bigint | undefined;
}

// The collector's order: host peers by node name, then pod peers by node name.
const byNetworkThenName = (a: Peer, b: Peer): number =>
  (a.network === Network.HOST ? 0 : 1) - (b.network === Network.HOST ? 0 : 1) ||
  (a.nodeName < b.nodeName ? -1 : a.nodeName > b.nodeName ? 1 : 0);

export function createPeerSetState(): PeerSetState {
  let peers = new Map<string, Peer>();
  let generation: bigint | undefined;
  let fullOnThisStream = false;

  return {
    newStream() {
      fullOnThisStream = false;
    },
    applyFull(peerSet) {
      const problem = validatePeerSet(peerSet);
      if (problem) return { ok: false, reason: 'invalid', detail: problem };
      peers = new Map(peerSet.peers.map((peer) => [peerKey(peer.nodeName, peer.network), peer]));
      generation = peerSet.generation;
      fullOnThisStream = true;
      return { ok: true, peerSet };
    },
    applyDelta(delta) {
      const problem = validatePeerSetDelta(delta);
      if (problem) return { ok: false, reason: 'invalid', detail: problem };
      if (!fullOnThisStream)
        return {
          ok: false,
          reason: 'mismatch',
          detail: `a delta (base generation ${delta.baseGeneration}) arrived before this stream's full peer set`,
        };
      if (delta.baseGeneration !== generation) {
        return {
          ok: false,
          reason: 'mismatch',
          detail: `a delta from generation ${delta.baseGeneration} to ${delta.generation} does not apply to the held generation ${generation}`,
        };
      }
      const next = new Map(peers);
      for (const ref of delta.removed) next.delete(peerKey(ref.nodeName, ref.network));
      for (const peer of delta.upserted) next.set(peerKey(peer.nodeName, peer.network), peer);
      if (next.size > maxPeerSetEntries)
        return {
          ok: false,
          reason: 'invalid',
          detail: `peer_set_delta would grow the peer set to ${next.size} peers, more than ${maxPeerSetEntries}`,
        };
      peers = next;
      generation = delta.generation;
      return {
        ok: true,
        peerSet: create(PeerSetSchema, { generation: delta.generation, peers: [...next.values()].sort(byNetworkThenName) }),
      };
    },
    get generation() {
      return generation;
    },
  };
}
