// MtuBlackhole: small probes pass while large ones (sized to the path MTU) on the same
// paths vanish, concentrated on one node: a lowered MTU somewhere on that node's path
// drops full-size packets silently (no ICMP "fragmentation needed" comes back).
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, plural, type FindingCandidate } from './finding-candidate.ts';
import { peersOf } from './mesh-analysis.ts';
import { meshNetworks } from './pair.ts';
import { directionOfNode, networkLabel } from './node-isolated.ts';
import { findingKind } from './finding-kinds.ts';
import type { MeshPass } from './mesh-pass.ts';

export const mtuBlackholeKind = 'MtuBlackhole';

export function detectMtuBlackhole(snapshot: ClusterSnapshot, { analysis }: MeshPass): FindingCandidate[] {
  const byNode = new Map<string, FindingCandidate>();
  for (const network of meshNetworks) {
    for (const loc of analysis.mtu.get(network) ?? []) {
      const bad = [...loc.outbound.bad, ...loc.inbound.bad];
      const failedSize = Math.max(...bad.map((p) => p.large?.failedSizeBytes ?? 0));
      const passedSize = Math.max(...bad.map((p) => p.udp?.okSizeBytes ?? 0));
      const lines = [
        `${networkLabel(network)}: large probes fail on ${loc.outbound.bad.length}/${loc.outbound.known.length} outbound and ${loc.inbound.bad.length}/${loc.inbound.known.length} inbound pairs (${directionOfNode(loc)}) while small probes pass`,
        `${network}: ${failedSize} bytes fails, ${passedSize} bytes passes (peers: ${peersOf(loc.node, bad).join(', ')})`,
        `${network}: large probes pass on ${loc.others.good}/${plural(loc.others.known, 'pair')} without ${loc.node}`,
      ];
      const existing = byNode.get(loc.node);
      if (existing) {
        existing.evidence.push(...lines);
        continue;
      }
      byNode.set(loc.node, {
        id: findingId(mtuBlackholeKind, loc.node),
        kind: mtuBlackholeKind,
        severity: findingKind(mtuBlackholeKind).severity,
        nodes: [loc.node],
        summary: `${loc.node}: packets of ${failedSize} bytes vanish on the ${network} network while ${passedSize}-byte packets pass (MTU black hole toward ${peersOf(loc.node, bad).length} peers)`,
        evidence: lines,
        remediation: [
          `On ${loc.node}: ip -d link show — compare the MTU of the underlay device, flannel.1 and cni0 with the other nodes (flannel sets flannel.1 = underlay − 50).`,
          `Find where full-size packets die: ping -M do -s <size − 28> <peer IP> from ${loc.node}, lowering the size until it passes.`,
          'Fix the lowered MTU (or restart flannel so it derives flannel.1 and the pod MTU from the underlay again); make sure ICMP "fragmentation needed" is not filtered.',
        ],
        explains: [],
      });
    }
  }
  return [...byNode.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
