// With the API on, a hello's probe addresses must be its node's own: every agent probes them
// every interval, so a token holder must not be able to point the mesh at an address of their
// choice (docs/security.md). A host agent answers at one of the Node's addresses
// (status.addresses, or flannel's public-ip annotation, which is where peers' FDB entries
// point); a pod agent, and a host agent answering for its pod network, inside the Node's
// spec.podCIDRs. A record with nothing to compare against (no addresses or no podCIDRs yet)
// decides nothing: a Node is often listed before the node controller assigns its podCIDR.
import { cidrContains } from '../../../shared/src/cidr.ts';
import type { Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { NodeRecord } from './node-record.ts';

function outsidePodCidrs(address: string, record: NodeRecord): boolean {
  return record.podCidrs.length > 0 && !record.podCidrs.some((cidr) => cidrContains(cidr, address));
}

/** Why the hello's probe addresses are not its node's, or undefined when they are (or the record cannot tell). */
export function probeAddressRefusal(hello: Hello, record: NodeRecord): string | undefined {
  const address = hello.probeAddress;
  if (hello.network === Network.POD) {
    if (address !== '' && outsidePodCidrs(address, record))
      return `probe address ${address} is not inside Node ${record.name}'s podCIDRs (${record.podCidrs.join(', ')})`;
    return undefined;
  }
  const own = new Set(record.addresses);
  if (record.flannelPublicIp) own.add(record.flannelPublicIp);
  if (address !== '' && own.size > 0 && !own.has(address))
    return `probe address ${address} is not one of Node ${record.name}'s addresses in the API (${[...own].join(', ')})`;
  if (hello.podProbeAddress !== '' && outsidePodCidrs(hello.podProbeAddress, record))
    return `pod-network probe address ${hello.podProbeAddress} is not inside Node ${record.name}'s podCIDRs (${record.podCidrs.join(', ')})`;
  return undefined;
}
