// DnsFailure: DNS probes from a node fail (per protocol, over ≥ 3 attempts). When every
// node's DNS fails, the resolver is the problem: one finding about it (DnsFailure:cluster),
// not one per node.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { DnsState } from '../probes/probe-view.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { isAlive } from './pair.ts';
import { findingKind } from './finding-kinds.ts';

export const dnsFailureKind = 'DnsFailure';

const describe = (s: DnsState): string =>
  `DNS over ${s.protocol.toUpperCase()} to ${s.resolver}: ${s.failures}/${s.attempts} failed in the last window (loss ${Math.round(s.lossRatio * 100)} %)`;

export function detectDnsFailure(snapshot: ClusterSnapshot, config: DetectorConfig): FindingCandidate[] {
  const nodes = new Map(snapshot.nodes.map((n) => [n.name, n]));
  const bySource = new Map<string, DnsState[]>();
  for (const state of snapshot.probes.dns) {
    const node = nodes.get(state.source);
    if (!node || !(isAlive(node.podAgent, snapshot.nowMs, config) || isAlive(node.hostAgent, snapshot.nowMs, config))) continue;
    bySource.set(state.source, [...(bySource.get(state.source) ?? []), state]);
  }
  const failing = [...bySource]
    .filter(([, states]) => states.some((s) => s.failing && s.attempts >= 3))
    .sort(([a], [b]) => (a < b ? -1 : 1));
  if (failing.length === 0) return [];
  const protocolsOf = (states: DnsState[]) =>
    [...new Set(states.filter((s) => s.failing).map((s) => s.protocol.toUpperCase()))].sort().reverse();
  if (bySource.size >= 2 && failing.length === bySource.size) {
    const resolvers = [...new Set(failing.flatMap(([, states]) => states.map((s) => s.resolver)))];
    const protocols = [...new Set(failing.flatMap(([, states]) => protocolsOf(states)))];
    return [
      {
        id: findingId(dnsFailureKind, 'cluster'),
        kind: dnsFailureKind,
        severity: findingKind(dnsFailureKind).severity,
        nodes: failing.map(([name]) => name),
        summary: `DNS over ${protocols.join(' and ')} fails from every node (${failing.length} of ${failing.length}): the resolver ${resolvers.join(', ')} is not answering`,
        evidence: failing.slice(0, 20).flatMap(([name, states]) => states.filter((s) => s.failing).map((s) => `${name}: ${describe(s)}`)),
        remediation: [
          'Check CoreDNS: kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide; kubectl -n kube-system logs -l k8s-app=kube-dns.',
          'Check the kube-dns Service and its endpoints: kubectl -n kube-system get svc,endpointslices -l k8s-app=kube-dns.',
          `Query it by hand from a pod: dig @${(resolvers[0] ?? '<resolver>').split(':')[0]} kubernetes.default.svc.cluster.local (+tcp for TCP).`,
        ],
        explains: [],
      },
    ];
  }
  return failing.map(([name, states]) => {
    const protocols = protocolsOf(states);
    const ok = states.filter((s) => !s.failing).map((s) => s.protocol.toUpperCase());
    return {
      id: findingId(dnsFailureKind, name),
      kind: dnsFailureKind,
      severity: findingKind(dnsFailureKind).severity,
      nodes: [name],
      summary: `DNS over ${protocols.join(' and ')} fails from ${name}${ok.length ? ` (over ${ok.join(', ')} it works)` : ''}; other nodes resolve fine`,
      evidence: [...states.map(describe), `${bySource.size - failing.length} other node(s) resolve without failures`],
      remediation: [
        `DNS failing from one node is usually the node's path to CoreDNS, not CoreDNS: check for NodeIsolated, OverlayRouteMissing or ProtocolBlocked findings about ${name}.`,
        `From a pod on ${name}: dig @<kube-dns service IP> kubernetes.default.svc.cluster.local (add +tcp to test TCP).`,
        `If only UDP fails, look for a rule dropping UDP 53 on ${name}: nft list ruleset; iptables-save | grep -i 'udp.*53'; if only TCP fails, TCP 53.`,
      ],
      explains: [],
    };
  });
}
