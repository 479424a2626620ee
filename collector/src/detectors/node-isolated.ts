// NodeIsolated: probes involving one node fail on a network while the rest of the mesh is
// healthy. One finding per node, with the direction (outbound, inbound, both) and, from the
// targets' receipts, where probes are lost: requests that never arrive, or replies.
// A node whose UDP is blocked on the host network gets ProtocolBlocked instead for its
// pod network (the VXLAN overlay rides on UDP).
import type { AgentNetwork } from '../model/agent-network.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, plural, type FindingCandidate } from './finding-candidate.ts';
import type { Localized } from './localize.ts';
import { listNames, peersOf, udpBlockedOnHost } from './mesh-analysis.ts';
import { failingPath, meshNetworks, type Pair } from './pair.ts';
import { findingKind } from './finding-kinds.ts';
import type { MeshPass } from './mesh-pass.ts';

export const nodeIsolatedKind = 'NodeIsolated';
export const networkLabel = (network: AgentNetwork): string => (network === 'host' ? 'host network (underlay)' : 'pod network (overlay)');

const lostBy = (pairs: Pair[], direction: 'request-lost' | 'reply-lost'): Pair[] =>
  pairs.filter((p) => failingPath(p)?.direction === direction);

/** Receipt-based sentences about where a node's probes are lost. */
export function directionPhrases(node: string, loc: Pick<Localized, 'outbound' | 'inbound'>): string[] {
  const phrases: string[] = [];
  const outRequest = lostBy(loc.outbound.bad, 'request-lost').map((p) => p.destination);
  const outReply = lostBy(loc.outbound.bad, 'reply-lost').map((p) => p.destination);
  const inReply = lostBy(loc.inbound.bad, 'reply-lost').map((p) => p.source);
  const inRequest = lostBy(loc.inbound.bad, 'request-lost').map((p) => p.source);
  if (outRequest.length) phrases.push(`requests from ${node} never arrive (at ${listNames(outRequest)})`);
  if (outReply.length) phrases.push(`${listNames(outReply)} receive ${node}'s requests but the replies never arrive back`);
  if (inReply.length) phrases.push(`${node} receives requests from ${listNames(inReply)} but its replies never arrive`);
  if (inRequest.length) phrases.push(`requests from ${listNames(inRequest)} never arrive at ${node}`);
  return phrases;
}

export function directionOfNode(loc: Pick<Localized, 'outbound' | 'inbound'>): 'outbound' | 'inbound' | 'both' {
  const ratio = (side: { known: Pair[]; bad: Pair[] }) => (side.known.length ? side.bad.length / side.known.length : 0);
  const out = ratio(loc.outbound) >= 0.5;
  const inb = ratio(loc.inbound) >= 0.5;
  return out && inb ? 'both' : out ? 'outbound' : 'inbound';
}

const protocolsFailing = (pairs: Pair[]): string =>
  [pairs.some((p) => p.udp?.failing) ? 'UDP' : '', pairs.some((p) => p.tcp?.failing) ? 'TCP' : ''].filter(Boolean).join(', ') || 'none';

function remediation(node: string): string[] {
  return [
    `On ${node}, check the overlay chain toward the failing peers: ip route show dev flannel.1; ip neigh show dev flannel.1; bridge fdb show dev flannel.1 (an OverlayRouteMissing or LinkDown finding, when open, names the broken part).`,
    `Look for a firewall rule on ${node} that drops traffic: nft list ruleset; iptables-save | grep -iE 'drop|reject'.`,
    `Check ${node}'s links and addresses: ip -d link show; ip addr; and the node's Ready condition: kubectl get node ${node}.`,
    `Check NetworkPolicies that select pods on ${node} (kubectl get networkpolicy -A) and the CNI pod on ${node}: kubectl -n kube-flannel get pods -o wide --field-selector spec.nodeName=${node}.`,
  ];
}

export function detectNodeIsolated(snapshot: ClusterSnapshot, { analysis }: MeshPass): FindingCandidate[] {
  const udpBlocked = udpBlockedOnHost(analysis);
  const byNode = new Map<string, { network: AgentNetwork; loc: Localized }[]>();
  for (const network of meshNetworks) {
    const blockedHere = new Set([...(analysis.blocked.get(network)?.values() ?? [])].flat().map((l) => l.node));
    for (const loc of analysis.isolated.get(network) ?? []) {
      if (blockedHere.has(loc.node) || (network === 'pod' && udpBlocked.has(loc.node))) continue;
      byNode.set(loc.node, [...(byNode.get(loc.node) ?? []), { network, loc }]);
    }
  }
  const findings: FindingCandidate[] = [];
  for (const [node, entries] of [...byNode].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const first = entries[0]!;
    const badPeers = peersOf(node, [...first.loc.outbound.bad, ...first.loc.inbound.bad]);
    const knownPeers = peersOf(node, [...first.loc.outbound.known, ...first.loc.inbound.known]);
    const networks = entries.map((e) => e.network).join(' and ');
    const direction = directionOfNode(first.loc);
    const phrases = directionPhrases(node, first.loc);
    const evidence: string[] = [];
    for (const { network, loc } of entries) {
      evidence.push(
        `${networkLabel(network)}: outbound ${loc.outbound.bad.length}/${loc.outbound.known.length} pairs failing, inbound ${loc.inbound.bad.length}/${loc.inbound.known.length} failing (${directionOfNode(loc)}); failing protocols: ${protocolsFailing([...loc.outbound.bad, ...loc.inbound.bad])}`,
        ...directionPhrases(node, loc).map((phrase) => `${network}: ${phrase}`),
        `${network}: the rest of the mesh is healthy (${loc.others.good}/${plural(loc.others.known, 'pair')} without ${node} pass)`,
      );
    }
    findings.push({
      id: findingId(nodeIsolatedKind, node),
      kind: nodeIsolatedKind,
      severity: findingKind(nodeIsolatedKind).severity,
      nodes: [node],
      summary: `${node} is isolated on the ${networks} network${entries.length > 1 ? 's' : ''} (${direction === 'both' ? 'both directions' : direction}, ${badPeers.length} of ${plural(knownPeers.length, 'peer')})${phrases.length ? `: ${phrases.slice(0, 2).join('; ')}` : ''}`,
      evidence,
      remediation: remediation(node),
      explains: [findingId('DnsFailure', node)],
    });
  }
  return findings;
}
