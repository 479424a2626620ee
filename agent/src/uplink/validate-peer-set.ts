// Peer sets and deltas from the collector are checked before they replace what the agent
// verifies and probes: the first problem is returned, and the agent keeps its current set.
import type { Peer, PeerSet, PeerSetDelta } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { isValidCidr, isValidIp, isValidMac } from '../../../shared/src/cidr.ts';

/** A host agent's set at 5,000 nodes holds 10,000 entries (host and pod peers): 4× headroom. */
export const maxPeerSetEntries = 40_000;
const maxPodCidrs = 8;

export const peerKey = (nodeName: string, network: Network): string => `${network}|${nodeName}`;

function validateRef(where: string, nodeName: string, network: Network): string | undefined {
  if (nodeName === '') return `${where}.node_name is empty`;
  if (nodeName.length > 253) return `${where}.node_name is longer than 253 characters`;
  if (network !== Network.HOST && network !== Network.POD)
    return `${where}.network must be NETWORK_HOST or NETWORK_POD (peer '${nodeName.slice(0, 64)}')`;
  return undefined;
}

function validatePeer(where: string, peer: Peer): string | undefined {
  const ref = validateRef(where, peer.nodeName, peer.network);
  if (ref) return ref;
  const name = peer.nodeName.slice(0, 64);
  if (peer.nodeIp !== '' && !isValidIp(peer.nodeIp))
    return `${where}.node_ip '${peer.nodeIp.slice(0, 64)}' of peer '${name}' is not an IP address`;
  if (peer.podCidrs.length > maxPodCidrs) return `${where}.pod_cidrs of peer '${name}' has more than ${maxPodCidrs} entries`;
  for (const cidr of peer.podCidrs)
    if (!isValidCidr(cidr)) return `${where}.pod_cidrs of peer '${name}': '${cidr.slice(0, 64)}' is not a valid CIDR`;
  if (peer.vtepMac !== '' && !isValidMac(peer.vtepMac))
    return `${where}.vtep_mac '${peer.vtepMac.slice(0, 64)}' of peer '${name}' is not a MAC address`;
  if (peer.probeAddress !== '' && !isValidIp(peer.probeAddress))
    return `${where}.probe_address '${peer.probeAddress.slice(0, 64)}' of peer '${name}' is not an IP address`;
  if (peer.probePort > 65535) return `${where}.probe_port of peer '${name}' is out of range`;
  return undefined;
}

export function validatePeerSet(peerSet: PeerSet): string | undefined {
  if (peerSet.peers.length > maxPeerSetEntries) return `peer_set has ${peerSet.peers.length} peers, more than ${maxPeerSetEntries}`;
  const seen = new Set<string>();
  for (const peer of peerSet.peers) {
    const problem = validatePeer('peer_set.peers', peer);
    if (problem) return problem;
    const key = peerKey(peer.nodeName, peer.network);
    if (seen.has(key)) return `peer_set lists peer '${peer.nodeName.slice(0, 64)}' (${Network[peer.network]}) twice`;
    seen.add(key);
  }
  return undefined;
}

export function validatePeerSetDelta(delta: PeerSetDelta): string | undefined {
  if (delta.generation <= delta.baseGeneration)
    return `peer_set_delta.generation ${delta.generation} is not after base_generation ${delta.baseGeneration}`;
  const entries = delta.upserted.length + delta.removed.length;
  if (entries > maxPeerSetEntries) return `peer_set_delta has ${entries} entries, more than ${maxPeerSetEntries}`;
  const seen = new Set<string>();
  for (const peer of delta.upserted) {
    const problem = validatePeer('peer_set_delta.upserted', peer);
    if (problem) return problem;
    const key = peerKey(peer.nodeName, peer.network);
    if (seen.has(key)) return `peer_set_delta upserts peer '${peer.nodeName.slice(0, 64)}' (${Network[peer.network]}) twice`;
    seen.add(key);
  }
  for (const ref of delta.removed) {
    const problem = validateRef('peer_set_delta.removed', ref.nodeName, ref.network);
    if (problem) return problem;
    const key = peerKey(ref.nodeName, ref.network);
    if (seen.has(key))
      return `peer_set_delta names peer '${ref.nodeName.slice(0, 64)}' (${Network[ref.network]}) twice (upserted and removed, or removed twice)`;
    seen.add(key);
  }
  return undefined;
}
