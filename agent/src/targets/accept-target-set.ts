// The agent's own check of a target set before it probes anything: the collector validated
// it already, but an agent never dials what it cannot parse, and never more than it budgets.
import { TargetProtocol, type TargetSet } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { parseTargetAddress } from '../../../shared/src/target-address.ts';

/** One address to probe: a target's Service address or one of its endpoints. */
export interface ProbeAddress {
  target: string;
  protocol: 'tcp' | 'dns';
  address: string;
  dnsQuery: string;
}

/** Agents probe at most this many addresses in all, whatever the set says. */
export const maxAgentTargetAddresses = 2048;

export function acceptTargetSet(set: TargetSet): { addresses: ProbeAddress[]; problems: string[] } {
  const addresses: ProbeAddress[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of set.targets) {
    const protocol = t.protocol === TargetProtocol.TCP ? 'tcp' : t.protocol === TargetProtocol.DNS ? 'dns' : undefined;
    if (!protocol) {
      problems.push(`${t.name}: unknown protocol ${t.protocol}`);
      continue;
    }
    if (protocol === 'dns' && !t.dnsQuery) {
      problems.push(`${t.name}: DNS target without a query name`);
      continue;
    }
    for (const address of [t.address, ...t.endpoints]) {
      const key = `${t.name}|${address}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (!parseTargetAddress(address)) problems.push(`${t.name}: ${JSON.stringify(address.slice(0, 60))} is not IP:PORT`);
      else if (addresses.length >= maxAgentTargetAddresses) problems.push(`${t.name}: over ${maxAgentTargetAddresses} addresses`);
      else addresses.push({ target: t.name, protocol, address, dnsQuery: t.dnsQuery });
    }
  }
  return { addresses, problems };
}
