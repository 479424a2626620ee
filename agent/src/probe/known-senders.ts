// Who may probe this responder: the agents of the current peer set. A sender is known when
// the node and network its probe claims are in the peer set and the packet's source address
// belongs to that peer (its probe address, node IP, or an address in its pod CIDRs — a host
// agent reaches pod peers from its VTEP address, which flannel takes from its pod CIDR).
// Anything else is a stranger: answered from a small budget of its own, never a receipt.
import type { Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { isIP } from 'node:net';
import { cidrContains, parseCidr } from '../../../shared/src/cidr.ts';

export interface KnownSenders {
  /** True when `address` is any peer's address: it draws on the peers' budget. */
  isPeerAddress(address: string): boolean;
  /**
   * True when a probe claiming (node, network) from `address` comes from that node: the node is
   * in the peer set and one of its entries owns the address. Any of its entries: a pod agent's
   * peer set lists only pod peers, yet the node's host agent probes it too.
   */
  isSender(address: string, nodeName: string, network: number): boolean;
  /** True when `address` lies in one of `nodeName`'s pod CIDRs: the probe came through the overlay (from its VTEP or a pod). */
  isOverlaySource(address: string, nodeName: string): boolean;
}

interface PeerIndex {
  addresses: Set<string>;
  byNode: Map<string, Peer[]>;
  /** IPv4 pod CIDRs as [network, mask] pairs: a flood of strangers costs a scan of integers. */
  ipv4Ranges: Array<[number, number]>;
  ipv6Cidrs: string[];
}

function ipv4ToInt(ip: string): number | undefined {
  if (isIP(ip) !== 4) return undefined;
  return ip.split('.').reduce((acc, octet) => ((acc << 8) + Number(octet)) >>> 0, 0);
}

/** Normalises IPv4-mapped IPv6 ("::ffff:192.0.2.1"), as a dual-stack socket reports them. */
export const plainAddress = (address: string): string => (address.startsWith('::ffff:') ? address.slice(7) : address);

function buildIndex(peers: readonly Peer[]): PeerIndex {
  const addresses = new Set<string>();
  const byNode = new Map<string, Peer[]>();
  const ipv4Ranges: Array<[number, number]> = [];
  const ipv6Cidrs: string[] = [];
  for (const peer of peers) {
    if (peer.probeAddress) addresses.add(peer.probeAddress);
    if (peer.nodeIp) addresses.add(peer.nodeIp);
    for (const text of peer.podCidrs) {
      const cidr = parseCidr(text);
      if (cidr?.family === 4)
        ipv4Ranges.push([ipv4ToInt(cidr.network)!, cidr.prefixLength === 0 ? 0 : (0xffffffff << (32 - cidr.prefixLength)) >>> 0]);
      else if (cidr) ipv6Cidrs.push(text);
    }
    const list = byNode.get(peer.nodeName) ?? [];
    list.push(peer);
    byNode.set(peer.nodeName, list);
  }
  return { addresses, byNode, ipv4Ranges, ipv6Cidrs };
}

const owns = (peer: Peer, address: string): boolean =>
  peer.probeAddress === address || peer.nodeIp === address || peer.podCidrs.some((cidr) => cidrContains(cidr, address));

/**
 * `peers` is read on every call; the index is rebuilt only when it returns a different
 * array (the agents replace the array on every peer-set change).
 */
export function createKnownSenders(peers: () => readonly Peer[]): KnownSenders {
  let source: readonly Peer[] | undefined;
  let index: PeerIndex = buildIndex([]);
  const current = (): PeerIndex => {
    const now = peers();
    if (now !== source) {
      source = now;
      index = buildIndex(now);
    }
    return index;
  };
  return {
    isPeerAddress: (raw) => {
      const address = plainAddress(raw);
      const { addresses, ipv4Ranges, ipv6Cidrs } = current();
      if (addresses.has(address)) return true;
      const n = ipv4ToInt(address);
      if (n !== undefined) return ipv4Ranges.some(([network, mask]) => (n & mask) >>> 0 === network);
      return ipv6Cidrs.some((cidr) => cidrContains(cidr, address));
    },
    isSender: (raw, nodeName, network) => {
      const address = plainAddress(raw);
      if (network !== Network.HOST && network !== Network.POD) return false;
      return (current().byNode.get(nodeName) ?? []).some((peer) => owns(peer, address));
    },
    isOverlaySource: (raw, nodeName) => {
      const address = plainAddress(raw);
      return (current().byNode.get(nodeName) ?? []).some((peer) => peer.podCidrs.some((cidr) => cidrContains(cidr, address)));
    },
  };
}
