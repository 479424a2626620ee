// Which of a peer's pod CIDRs an overlay backend checks, and which peers it skips.
import { parseCidr, type Cidr } from '../../../shared/src/cidr.ts';
import type { Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { SelfDescription } from './self-description.ts';

// Asked once per peer: the node's own CIDRs as a set, made once per list.
const ownCidrSets = new WeakMap<readonly string[], Set<string>>();
function ownCidrs(self: SelfDescription): Set<string> {
  let own = ownCidrSets.get(self.podCidrs);
  if (!own) {
    own = new Set(self.podCidrs);
    ownCidrSets.set(self.podCidrs, own);
  }
  return own;
}

/**
 * The IPv4 pod CIDRs of a node peer that are not this node's own. Empty means "skip":
 * pod-network agents own no routes; a node without a pod CIDR yet (kube-controller-
 * manager has not allocated one) has nothing flannel could program; IPv6 lives on a
 * separate flannel-v6 device and is not verified here; and a peer entry for ourselves
 * must not be checked against our own tables.
 */
export function checkableCidrs(peer: Peer, self: SelfDescription): Cidr[] {
  if (peer.network === Network.POD) return [];
  const own = ownCidrs(self);
  const out: Cidr[] = [];
  for (const text of peer.podCidrs) {
    const c = parseCidr(text);
    if (c?.family !== 4) continue;
    const key = `${c.network}/${c.prefixLength}`;
    if (!own.has(key)) out.push(c);
  }
  return out;
}
