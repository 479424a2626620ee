// AsymmetricReachability: A→B fails while B→A works on the same network and protocol —
// a one-way block (a stateful firewall or policy allowing connections only one way, a
// one-sided route). Pairs already explained by a node-level finding are left out.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, type FindingCandidate } from './finding-candidate.ts';
import { udpBlockedOnHost } from './mesh-analysis.ts';
import type { MeshPass } from './mesh-pass.ts';
import { meshNetworks } from './pair.ts';
import { networkLabel } from './node-isolated.ts';
import { findingKind } from './finding-kinds.ts';

export const asymmetricReachabilityKind = 'AsymmetricReachability';

const directionText = { 'request-lost': 'requests never arrive', 'reply-lost': 'requests arrive but replies are lost' } as const;

export function detectAsymmetricReachability(snapshot: ClusterSnapshot, { analysis, mesh }: MeshPass): FindingCandidate[] {
  // Per source node, its agents' probe interval (ms): the length of one of its rounds.
  let intervals: Map<string, number> | undefined;
  const intervalMsOf = (node: string): number => {
    intervals ??= new Map(snapshot.probes.agents.map((a) => [a.node, a.intervalSeconds * 1000]));
    return intervals.get(node) ?? snapshot.probes.intervalSeconds * 1000;
  };
  const byPair = new Map<string, { a: string; b: string; lines: string[]; protocols: Set<string> }>();
  for (const network of meshNetworks) {
    const explained = new Set([
      ...(analysis.isolated.get(network) ?? []).map((l) => l.node),
      ...[...(analysis.blocked.get(network)?.values() ?? [])].flat().map((l) => l.node),
      ...(network === 'pod' ? udpBlockedOnHost(analysis) : []),
    ]);
    for (const pair of mesh.failingPairs(network)) {
      if (explained.has(pair.source) || explained.has(pair.destination)) continue;
      const reverse = mesh.pair(network, pair.destination, pair.source);
      for (const protocol of ['udp', 'tcp'] as const) {
        const forward = pair[protocol];
        const back = reverse?.[protocol];
        if (!forward?.failing || !back?.healthy) continue;
        // Sampled pairs are visited at different times: the way back only counts when it
        // was probed after the failing way (else it may predate the fault).
        if ((forward.sampled || back.sampled) && back.newestMs < forward.newestMs) continue;
        // "B→A works" only counts from a round that started after A→B began to fail: a
        // window straddling the onset would call a two-way fault one-way.
        if (forward.failingSinceMs && back.newestMs < forward.failingSinceMs + intervalMsOf(pair.destination)) continue;
        const key = `${pair.source}\u0000${pair.destination}`;
        let entry = byPair.get(key);
        if (!entry) byPair.set(key, (entry = { a: pair.source, b: pair.destination, lines: [], protocols: new Set() }));
        const name = protocol.toUpperCase();
        entry.protocols.add(name);
        entry.lines.push(
          `${networkLabel(network)} ${name}: ${pair.source}→${pair.destination} ${forward.failures}/${forward.attempts} failed${forward.direction ? ` (${directionText[forward.direction]})` : ''}; ${pair.destination}→${pair.source} ${back.attempts - back.failures}/${back.attempts} passed`,
        );
      }
    }
  }
  return [...byPair.values()]
    .sort((x, y) => (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : 1))
    .map(({ a, b, lines, protocols }) => ({
      id: findingId(asymmetricReachabilityKind, a, b),
      kind: asymmetricReachabilityKind,
      severity: findingKind(asymmetricReachabilityKind).severity,
      nodes: [a, b],
      peer: b,
      summary: `${a} cannot reach ${b} over ${[...protocols].join(' and ')}, while ${b} reaches ${a}`,
      evidence: lines,
      remediation: [
        `Look for a one-way rule: nft list ruleset / iptables-save on ${b} (inbound from ${a}) and on ${a} (outbound to ${b}); a stateful rule that only allows connections started by ${b} looks exactly like this.`,
        `Check NetworkPolicies selecting pods on ${b}: an ingress policy that does not allow ${a}'s pods.`,
        `Compare routes on both sides: ip route get <${b}'s address> on ${a}, and the reverse.`,
      ],
      explains: [],
    }));
}
