// LinkDown: the overlay device or the pod bridge is missing or administratively down.
// Routes via a missing or downed device vanish with it, so a LinkDown on the overlay device
// explains that node's OverlayRouteMissing.
import { LinkRole, type LinkStatus } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { overlayRouteMissingKind } from './overlay-route-missing.ts';
import { problemPeerCount } from '../model/overlay-counts.ts';
import { findingKind } from './finding-kinds.ts';

export const linkDownKind = 'LinkDown';

const describeLink = (link: LinkStatus): string => {
  const role = link.role === LinkRole.OVERLAY ? 'overlay device' : 'pod bridge';
  if (!link.present) return `${role} ${link.name} is not present`;
  return `${role} ${link.name} is down (admin down, oper state ${link.operState || 'unknown'})`;
};

function remediation(node: string, broken: LinkStatus[]): string[] {
  const lines: string[] = [];
  for (const link of broken) {
    lines.push(`On ${node}: ip -d link show ${link.name}`);
    if (link.role === LinkRole.OVERLAY) {
      lines.push(
        `flannel creates and raises ${link.name} at start-up: check the flannel pod on ${node} (kubectl -n kube-flannel get pods -o wide --field-selector spec.nodeName=${node}) and its logs (kubectl -n kube-flannel logs <flannel-pod> --previous).`,
        `Restart the flannel pod on ${node} to recreate the device and re-program routes, neighbors and FDB entries: kubectl -n kube-flannel delete pod <flannel-pod>.`,
      );
      if (link.present)
        lines.push(
          `If something set it down by hand: ip link set ${link.name} up, then restart flannel so the routes that vanished with it come back.`,
        );
    } else {
      lines.push(
        `The CNI bridge plugin creates ${link.name} when the first pod starts on ${node}; check /etc/cni/net.d on the node and the kubelet log (journalctl -u kubelet | grep -i cni).`,
      );
      if (link.present) lines.push(`If something set it down by hand: ip link set ${link.name} up.`);
    }
  }
  return lines;
}

function detectNode(node: NodeState): FindingCandidate | undefined {
  const agent = node.hostAgent;
  const report = agent?.report;
  if (!agent?.connected || !report) return undefined;
  const broken = report.links.filter(
    (link) => (link.role === LinkRole.OVERLAY || link.role === LinkRole.POD_BRIDGE) && !(link.present && link.up),
  );
  if (broken.length === 0) return undefined;
  const overlayBroken = broken.some((link) => link.role === LinkRole.OVERLAY);
  const overlayProblems = problemPeerCount(report.overlay);
  return {
    id: findingId(linkDownKind, node.name),
    kind: linkDownKind,
    severity: findingKind(linkDownKind).severity,
    nodes: [node.name],
    summary: `${node.name}: ${broken.map(describeLink).join('; ')}`,
    evidence: broken.map(
      (link) =>
        `${link.name}: present=${link.present} up=${link.up} operState=${link.operState || 'unknown'}${link.mtu ? ` mtu=${link.mtu}` : ''}`,
    ),
    remediation: remediation(node.name, broken),
    // A missing or downed overlay device or pod bridge cuts the node's pods off: probes and DNS from it fail.
    explains: [
      ...(overlayBroken && overlayProblems > 0 ? [findingId(overlayRouteMissingKind, node.name)] : []),
      findingId('NodeIsolated', node.name),
      findingId('DnsFailure', node.name),
    ],
  };
}

export function detectLinkDown(snapshot: ClusterSnapshot, _config: DetectorConfig): FindingCandidate[] {
  const findings: FindingCandidate[] = [];
  for (const node of snapshot.nodes) {
    const finding = detectNode(node);
    if (finding) findings.push(finding);
  }
  return findings;
}
