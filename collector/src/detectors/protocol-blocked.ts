// ProtocolBlocked: on most of one node's paths one protocol (UDP or TCP) fails while the
// other succeeds on the same paths: a firewall or policy drops that protocol. With UDP
// blocked on the host network the VXLAN overlay (UDP) goes down too; this finding then
// speaks for the node's pod network and explains its DNS failures.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, plural, type FindingCandidate } from './finding-candidate.ts';
import type { Localized } from './localize.ts';
import { peersOf } from './mesh-analysis.ts';
import { meshNetworks } from './pair.ts';
import { directionOfNode, directionPhrases, networkLabel } from './node-isolated.ts';
import { findingKind } from './finding-kinds.ts';
import type { MeshPass } from './mesh-pass.ts';

export const protocolBlockedKind = 'ProtocolBlocked';

function remediation(node: string, protocol: string): string[] {
  return [
    `On ${node}, look for rules dropping ${protocol}: nft list ruleset | grep -i ${protocol.toLowerCase()}; iptables-save | grep -iE '${protocol.toLowerCase()}.*(DROP|REJECT)'.`,
    `Check NetworkPolicies and cloud security groups / host firewalls that apply to ${node}: kubectl get networkpolicy -A; a policy allowing only TCP (or only UDP) on a port breaks DNS and VXLAN (UDP 8472).`,
    `Compare with a healthy node: the same rules there should allow ${protocol}.`,
  ];
}

export function detectProtocolBlocked(snapshot: ClusterSnapshot, { analysis }: MeshPass): FindingCandidate[] {
  const byNode = new Map<string, { network: 'host' | 'pod'; protocol: 'UDP' | 'TCP'; loc: Localized }[]>();
  for (const network of meshNetworks) {
    for (const [protocol, locs] of analysis.blocked.get(network) ?? []) {
      for (const loc of locs)
        byNode.set(loc.node, [...(byNode.get(loc.node) ?? []), { network, protocol: protocol === 'udp' ? 'UDP' : 'TCP', loc }]);
    }
  }
  const podIsolated = new Set((analysis.isolated.get('pod') ?? []).map((l) => l.node));
  const findings: FindingCandidate[] = [];
  for (const [node, entries] of [...byNode].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const protocols = [...new Set(entries.map((e) => e.protocol))];
    const first = entries[0]!;
    const bad = [...first.loc.outbound.bad, ...first.loc.inbound.bad];
    const other = first.protocol === 'UDP' ? 'TCP' : 'UDP';
    const evidence = entries.flatMap(({ network, protocol, loc }) => [
      `${networkLabel(network)}: ${protocol} fails on ${loc.outbound.bad.length}/${loc.outbound.known.length} outbound and ${loc.inbound.bad.length}/${loc.inbound.known.length} inbound pairs (${directionOfNode(loc)}) while ${protocol === 'UDP' ? 'TCP' : 'UDP'} succeeds on them`,
      ...directionPhrases(node, loc).map((phrase) => `${network} ${protocol}: ${phrase}`),
      `${network}: ${protocol} passes on ${loc.others.good}/${plural(loc.others.known, 'pair')} without ${node}`,
    ]);
    const vxlanDown = entries.some((e) => e.network === 'host' && e.protocol === 'UDP') && podIsolated.has(node);
    if (vxlanDown) evidence.push(`pod network: ${node} is cut off too — the VXLAN overlay runs over UDP`);
    findings.push({
      id: findingId(protocolBlockedKind, node),
      kind: protocolBlockedKind,
      severity: findingKind(protocolBlockedKind).severity,
      nodes: [node],
      summary: `${protocols.join(' and ')} ${protocols.length > 1 ? 'are' : 'is'} blocked on ${node}: ${first.protocol} probes to and from ${peersOf(node, bad).length} peers fail on the ${first.network} network while ${other} on the same paths succeeds`,
      evidence,
      remediation: remediation(node, first.protocol),
      explains: vxlanDown || protocols.includes('UDP') ? [findingId('NodeIsolated', node), findingId('DnsFailure', node)] : [],
    });
  }
  return findings;
}
