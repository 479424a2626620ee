// OverlayPeerDisagreement: when most nodes that verify their overlay toward node X find
// their entries toward X missing or wrong, the common factor is X (its VTEP MAC or address
// changed, its subnet was re-assigned, or its record in the cluster disagrees with what its
// peers programmed), not each peer on its own. One root cause on X, with the value X
// announces now (after) beside what its peers still hold (before); the peers'
// OverlayRouteMissing findings that point only at X are its symptoms.
import type { PeerProblem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { findingKind } from './finding-kinds.ts';
import { listNames } from './mesh-analysis.ts';
import { describePart, overlayRouteMissingKind, peerAnnouncedSettleMs } from './overlay-route-missing.ts';

export const overlayPeerDisagreementKind = 'OverlayPeerDisagreement';

/** At least this many viewers, and more than this share of them, must point at X. */
const minPointing = 2;
const pointingRatio = 0.5;
const maxPeerLines = 20;

function remediation(node: string, device: string): string[] {
  return [
    `${node} is the common factor: compare what it announces (GET /api/v1/nodes: overlay.vtepMac, vtepIp, pod CIDRs) with its kernel: on ${node}, ip -d link show ${device}; ip addr show ${device}.`,
    `Check the cluster's record of ${node}, which the peers' flannel programs from: kubectl get node ${node} -o jsonpath='{.metadata.annotations}' (flannel.alpha.coreos.com/backend-data holds the VTEP MAC, public-ip the node IP) and .spec.podCIDR.`,
    `If ${node}'s overlay device was recreated (new MAC) or its flannel restarted, restart the flannel pod on ${node} so it re-publishes its annotations: kubectl -n kube-flannel delete pod <flannel-pod-on-${node}>; peers re-program their entries on the resulting subnet event.`,
    `Only if the peers still hold the old values after that: restart flannel on the peers named in the evidence (kubectl -n kube-flannel rollout restart ds/kube-flannel-ds).`,
  ];
}

export function detectOverlayPeerDisagreement(snapshot: ClusterSnapshot, _config: DetectorConfig): FindingCandidate[] {
  const viewers = snapshot.nodes.filter(
    (n) => n.hostAgent?.connected && n.hostAgent.report?.overlay && n.hostAgent.report.overlay.peersChecked > 0,
  );
  if (viewers.length < minPointing + 1) return [];
  const pointing = new Map<string, { peer: string; problem: PeerProblem; only: boolean }[]>();
  for (const viewer of viewers) {
    const { problems, peersChecked } = viewer.hostAgent!.report!.overlay!;
    // A viewer broken toward most of its peers is its own root cause (seed 002), not a witness.
    if (problems.length > pointingRatio * peersChecked) continue;
    for (const problem of problems) {
      const list = pointing.get(problem.peer) ?? [];
      list.push({ peer: viewer.name, problem, only: problems.length === 1 });
      pointing.set(problem.peer, list);
    }
  }
  const findings: FindingCandidate[] = [];
  for (const [target, list] of [...pointing].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const others = viewers.filter((v) => v.name !== target).length;
    if (list.length < minPointing || list.length <= pointingRatio * others) continue;
    const node = snapshot.nodes.find((n) => n.name === target);
    const overlay = node?.hostAgent?.hello.overlay;
    const parts = [...new Set(list.flatMap((p) => p.problem.parts.map(describePart)))];
    const peers = list.map((p) => p.peer).sort();
    const before = [...new Set(list.flatMap((p) => p.problem.parts.map((part) => part.actual).filter(Boolean)))];
    const after = [...new Set(list.flatMap((p) => p.problem.parts.map((part) => part.expected)))];
    const evidence = [
      `${list.length} of ${others} nodes that verify their overlay toward ${target} find their entries toward it missing or wrong: ${listNames(peers)}`,
      ...(overlay ? [`${target} announces now: VTEP ${overlay.vtepIp} MAC ${overlay.vtepMac} on ${overlay.name}, MTU ${overlay.mtu}`] : []),
      `after (what ${target}'s record says the peers should hold): ${after.slice(0, 5).join('; ')}`,
      ...(before.length
        ? [`before (what the peers still hold): ${before.slice(0, 5).join('; ')}`]
        : [`before: the peers hold no entry toward ${target}`]),
      ...list.slice(0, maxPeerLines).map((p) => `${p.peer}: ${p.problem.parts.map(describePart).join('; ')}`),
    ];
    findings.push({
      id: findingId(overlayPeerDisagreementKind, target),
      kind: overlayPeerDisagreementKind,
      severity: findingKind(overlayPeerDisagreementKind).severity,
      nodes: [target],
      summary: `${list.length} of ${others} peers hold missing or wrong overlay entries toward ${target} (${parts.length === 1 ? parts[0] : `${parts.length} kinds of problem`}): ${target} changed or its record disagrees`,
      evidence,
      remediation: remediation(target, overlay?.name || 'flannel.1'),
      explains: list.filter((p) => p.only).map((p) => findingId(overlayRouteMissingKind, p.peer)),
      related: peers,
      // X just (re)announced itself (a device recreated, then configured): its peers re-verify
      // within a fraction of a second; only a disagreement that outlasts that is a finding.
      ...(node?.hostAgent && snapshot.nowMs - node.hostAgent.connectedSinceMs < peerAnnouncedSettleMs ? { pending: true } : {}),
    });
  }
  return findings;
}
