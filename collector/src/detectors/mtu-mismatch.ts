// MtuMismatch: from node reports, a node's overlay MTU differs from the rest of the cluster,
// or its overlay MTU + 50 (VXLAN encapsulation) exceeds its underlay MTU, so full-size
// overlay packets cannot leave (or enter) it. Explains that node's MtuBlackhole.
import { LinkRole, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { mtuBlackholeKind } from './mtu-blackhole.ts';
import { findingKind } from './finding-kinds.ts';

export const mtuMismatchKind = 'MtuMismatch';
export const vxlanOverheadBytes = 50;

type NodeMtus = { overlay?: number; underlay?: number; overlayName: string; underlayName: string };
/** The node's overlay and underlay MTUs: the latest report's links first, then the hello. */
export function nodeMtus(node: NodeState): NodeMtus {
  const agent = node.hostAgent;
  const links = agent?.report?.links ?? [];
  const overlayLink = links.find((l) => l.role === LinkRole.OVERLAY && l.present);
  const underlayLink = links.find((l) => l.role === LinkRole.UNDERLAY && l.present);
  const hello = agent?.hello.overlay;
  const overlay = overlayLink?.mtu || hello?.mtu || undefined;
  const underlay = underlayLink?.mtu || hello?.underlayMtu || undefined;
  return {
    ...(overlay ? { overlay } : {}),
    ...(underlay ? { underlay } : {}),
    overlayName: overlayLink?.name || hello?.name || 'flannel.1',
    underlayName: underlayLink?.name || hello?.underlayDevice || 'the underlay device',
  };
}

export interface NodeMtuCache {
  of(node: NodeState): NodeMtus;
}

/**
 * nodeMtus kept per (report, hello): a report carries every link of its node (hundreds of veths
 * on a busy node) and comes every 30 s, while passes and scrapes ask every few seconds for
 * every node. Reports and hellos are replaced, never changed in place, so identity is the key.
 */
export function createNodeMtuCache(): NodeMtuCache {
  const byReport = new WeakMap<object, { hello: object; mtus: NodeMtus }>();
  return {
    of(node) {
      const agent = node.hostAgent;
      const report = agent?.report;
      if (!agent || !report) return nodeMtus(node);
      const cached = byReport.get(report);
      if (cached && cached.hello === agent.hello) return cached.mtus;
      const mtus = nodeMtus(node);
      byReport.set(report, { hello: agent.hello, mtus });
      return mtus;
    },
  };
}

const uncached: NodeMtuCache = { of: nodeMtus };

export function detectMtuMismatch(snapshot: ClusterSnapshot, _config: DetectorConfig, cache = uncached): FindingCandidate[] {
  const vxlan = snapshot.nodes.filter((n) => n.hostAgent?.connected && n.hostAgent.hello.overlay?.kind === OverlayKind.FLANNEL_VXLAN);
  const mtus = new Map(vxlan.map((n) => [n.name, cache.of(n)]));
  const counts = new Map<number, number>();
  for (const m of mtus.values()) if (m.overlay) counts.set(m.overlay, (counts.get(m.overlay) ?? 0) + 1);
  // The cluster's overlay MTU: the most common one (the larger on a tie).
  const common = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
  const findings: FindingCandidate[] = [];
  for (const node of vxlan) {
    const m = mtus.get(node.name)!;
    const problems: string[] = [];
    if (m.overlay && m.underlay && m.overlay + vxlanOverheadBytes > m.underlay) {
      problems.push(
        `${m.overlayName} MTU ${m.overlay} + ${vxlanOverheadBytes} bytes VXLAN overhead exceeds ${m.underlayName} MTU ${m.underlay}`,
      );
    }
    if (common && m.overlay && m.overlay !== common[0] && common[1] > 1) {
      problems.push(`${m.overlayName} MTU ${m.overlay} differs from ${common[0]} on ${common[1]} other nodes`);
    }
    if (problems.length === 0) continue;
    findings.push({
      id: findingId(mtuMismatchKind, node.name),
      kind: mtuMismatchKind,
      severity: findingKind(mtuMismatchKind).severity,
      nodes: [node.name],
      summary: `${node.name}: ${problems[0]}`,
      evidence: [...problems, `overlay MTU ${m.overlay ?? 'unknown'}, underlay MTU ${m.underlay ?? 'unknown'} (from the latest report)`],
      remediation: [
        `On ${node.name}: ip -d link show ${m.overlayName}; ip link show ${m.underlayName}. flannel derives ${m.overlayName} = underlay − ${vxlanOverheadBytes}; a changed underlay MTU needs a flannel restart (and pods recreated) to follow.`,
        "Make the underlay MTU the same on every node, or set flannel's MTU explicitly in its net-conf.json to fit the smallest underlay.",
      ],
      explains: [findingId(mtuBlackholeKind, node.name)],
    });
  }
  return findings;
}
