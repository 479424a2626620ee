// OverlayRouteMissing: a node's route / neighbor / FDB chain to one or more peers is missing
// or wrong (seed 002). One finding per node, naming the node, not N broken pairs.
import { OverlayKind, Problem, type PartProblem, type PeerProblem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import { overlayPartName, problemName } from '../model/wire-names.ts';
import { findingId, plural, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { partCounts, problemPeerCount } from '../model/overlay-counts.ts';
import { findingKind } from './finding-kinds.ts';

export const overlayRouteMissingKind = 'OverlayRouteMissing';

/** Evidence lines stay readable on a 5,000-node cluster. */
const maxPeerLines = 20;

export function describePart(part: PartProblem): string {
  const name = overlayPartName(part.part);
  if (part.problem === Problem.MISSING) return `${name} missing (expected ${part.expected})`;
  return `${name} ${problemName(part.problem)}: expected ${part.expected}, found ${part.actual}`;
}

export function describePeerProblem(problem: PeerProblem): string {
  return `${problem.peer}: ${problem.parts.map(describePart).join('; ')}`;
}

function remediation(node: string, kind: OverlayKind, device: string): string[] {
  const flannelPod = `kubectl -n kube-flannel get pods -o wide --field-selector spec.nodeName=${node}`;
  const common = [
    `Check the flannel pod on ${node}: ${flannelPod} (older installs run it in kube-system with label app=flannel).`,
    `Read its logs, including the previous container: kubectl -n kube-flannel logs <flannel-pod> --previous; a crash after "Received Subnet Event" ("Waiting for all goroutines to exit") leaves the pod Running without routes.`,
  ];
  const inspect =
    kind === OverlayKind.FLANNEL_HOST_GW
      ? [
          `On ${node}, compare the routing table with the evidence: ip route show | grep <peer pod CIDR>; each peer's pod CIDR must route via that peer's node IP.`,
        ]
      : [
          `On ${node}, compare the kernel state with the evidence: ip route show dev ${device}; ip neigh show dev ${device}; bridge fdb show dev ${device}.`,
        ];
  return [
    ...common,
    ...inspect,
    `Restart the flannel pod on ${node} so it re-programs the overlay: kubectl -n kube-flannel delete pod <flannel-pod>; flannel never re-checks these entries, so a lost one stays lost until then.`,
    `Until it is fixed, pods on ${node} cannot reach pods on the peers named above (DNS to CoreDNS on those nodes times out); cordon ${node} if the repair has to wait.`,
    'This finding resolves by itself within seconds of the repair, when the node agent re-verifies the overlay.',
  ];
}

/**
 * A peer that (re)announced itself this recently may have changed (a new VTEP MAC, a new
 * node): every node's entries toward it are re-checked within a fraction of a second, and
 * until they all are, one node's finding may really be about that peer (OverlayPeerDisagreement).
 */
export const peerAnnouncedSettleMs = 2_000;

/** Pending while every peer it names announced itself within the settle time (and this node did not: after a collector restart everyone did). */
function awaitingPeers(node: NodeState, peers: string[], snapshot: ClusterSnapshot, byName: () => Map<string, NodeState>): boolean {
  const recent = (name: string) => {
    const agent = name === node.name ? node.hostAgent : byName().get(name)?.hostAgent;
    return agent !== undefined && snapshot.nowMs - agent.connectedSinceMs < peerAnnouncedSettleMs;
  };
  return peers.length > 0 && !recent(node.name) && peers.every(recent);
}

function detectNode(node: NodeState): FindingCandidate | undefined {
  const agent = node.hostAgent;
  const overlay = agent?.report?.overlay;
  if (!agent?.connected || !overlay || overlay.problems.length === 0) return undefined;
  const problems = [...overlay.problems].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
  // Counts over every peer with a problem: the report lists only the first ones by name.
  const total = problemPeerCount(overlay);
  const counts = partCounts(overlay).sort((a, b) => a.part - b.part || a.problem - b.problem);
  const partNames = [...new Set(counts.map((c) => overlayPartName(c.part)))];
  const allMissing = counts.every((c) => c.problem === Problem.MISSING);
  const checked = Math.max(overlay.peersChecked, total);
  const single = total === 1 ? problems[0] : undefined;
  const target = single
    ? `${single.peer} (1 of ${plural(checked, 'peer')}`
    : `${total.toLocaleString('en-US')} of ${checked.toLocaleString('en-US')} peers (`;
  const summary = `${node.name} ${allMissing ? 'is missing overlay routes to' : 'has wrong overlay entries toward'} ${target}${single ? ': ' : ''}${partNames.join(', ')})`;
  const evidence =
    problems.length < total
      ? [
          `per part: ${counts.map((c) => `${overlayPartName(c.part)} ${problemName(c.problem)} toward ${plural(c.peers, 'peer')}`).join('; ')}`,
        ]
      : [];
  evidence.push(...problems.slice(0, maxPeerLines).map(describePeerProblem));
  if (total > maxPeerLines)
    evidence.push(
      `… and ${(total - Math.min(maxPeerLines, problems.length)).toLocaleString('en-US')} more peers (GET /api/v1/nodes lists the first ${problems.length})`,
    );
  const kind = overlay.kind !== OverlayKind.UNSPECIFIED ? overlay.kind : (agent.hello.overlay?.kind ?? OverlayKind.FLANNEL_VXLAN);
  return {
    id: findingId(overlayRouteMissingKind, node.name),
    kind: overlayRouteMissingKind,
    severity: findingKind(overlayRouteMissingKind).severity,
    nodes: [node.name],
    ...(single ? { peer: single.peer } : {}),
    summary,
    evidence,
    remediation: remediation(node.name, kind, agent.hello.overlay?.name || 'flannel.1'),
    // Without its overlay chain the node's pods are cut off: probes and DNS from it fail.
    explains: [findingId('NodeIsolated', node.name), findingId('DnsFailure', node.name)],
    related: problems.map((p) => p.peer),
  };
}

export function detectOverlayRouteMissing(snapshot: ClusterSnapshot, _config: DetectorConfig): FindingCandidate[] {
  const findings: FindingCandidate[] = [];
  let nodes: Map<string, NodeState> | undefined;
  const byName = () => (nodes ??= new Map(snapshot.nodes.map((n) => [n.name, n])));
  for (const node of snapshot.nodes) {
    const finding = detectNode(node);
    if (finding) findings.push(awaitingPeers(node, finding.related ?? [], snapshot, byName) ? { ...finding, pending: true } : finding);
  }
  return findings;
}
