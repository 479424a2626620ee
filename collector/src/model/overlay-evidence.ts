// What the host agents' overlay reports say about the nodes, for the life-cycle inference:
// has every peer removed its chain toward a node (it left), has a node's overlay converged
// (it joined). Built once per pass in O(reports + problems), so a wave of nodes joining or
// leaving a 5,000-node cluster costs one walk, not one per node.
import { OverlayKind, Problem, type NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot, NodeState } from './cluster-snapshot.ts';

/** A connected host agent whose latest report verified an overlay. */
const verifyingReport = (node: NodeState): NodeReport | undefined => {
  const agent = node.hostAgent;
  const overlay = agent?.report?.overlay;
  if (!agent?.connected || !overlay || overlay.kind === OverlayKind.NONE || overlay.kind === OverlayKind.UNSPECIFIED) return undefined;
  return agent.report;
};

export interface OverlayEvidence {
  /** Every peer that verifies the overlay (at least one) reports every part of its chain toward `name` missing. */
  peersRemovedChainTo(name: string): boolean;
  /**
   * The node verified its whole chain to every other node with a host agent, every peer that
   * verifies the overlay did so with a peer set at least as new as `generation` (so it
   * includes the node as it is now) and found nothing wrong toward it, and no probe path from
   * or to the node is failing.
   */
  overlayConverged(node: NodeState, generation: bigint): boolean;
  /**
   * No peer holds any part of the chain toward `name`: every verifying peer outside `untrusted`
   * (at least one) reports all of it missing. The CNI does not know such a node — in standalone
   * use, a node made up by whoever holds the token.
   */
  unknownToOverlay(name: string, untrusted: ReadonlySet<string>): boolean;
}

export function overlayEvidence(snapshot: ClusterSnapshot): OverlayEvidence {
  let verifiers = 0;
  let oldestGeneration: bigint | undefined;
  let hostAgents = 0;
  const removedBy = new Map<string, number>();
  const removedByWhom = new Map<string, Set<string>>();
  const verifierNames: string[] = [];
  const named = new Set<string>();
  for (const node of snapshot.nodes) {
    if (node.hostAgent) hostAgents += 1;
    const report = verifyingReport(node);
    if (!report?.overlay) continue;
    if (oldestGeneration === undefined || report.peerSetGeneration < oldestGeneration) oldestGeneration = report.peerSetGeneration;
    if (report.overlay.peersChecked === 0) continue;
    verifiers += 1;
    verifierNames.push(node.name);
    for (const problem of report.overlay.problems) {
      named.add(problem.peer);
      if (problem.parts.length > 0 && problem.parts.every((part) => part.problem === Problem.MISSING)) {
        removedBy.set(problem.peer, (removedBy.get(problem.peer) ?? 0) + 1);
        let whom = removedByWhom.get(problem.peer);
        if (!whom) removedByWhom.set(problem.peer, (whom = new Set()));
        whom.add(node.name);
      }
    }
  }
  let probing: Set<string> | undefined;
  const failingProbes = (): Set<string> =>
    (probing ??= new Set(snapshot.probes.failingPaths.flatMap((path) => [path.source, path.destination])));
  return {
    // The node itself is not connected, so it is never among the verifiers.
    peersRemovedChainTo: (name) => verifiers > 0 && removedBy.get(name) === verifiers,
    unknownToOverlay(name, untrusted) {
      const whom = removedByWhom.get(name);
      if (!whom) return false;
      let trusted = 0;
      for (const viewer of verifierNames) {
        if (viewer === name || untrusted.has(viewer)) continue;
        if (!whom.has(viewer)) return false;
        trusted += 1;
      }
      return trusted > 0;
    },
    overlayConverged(node, generation) {
      const own = verifyingReport(node);
      if (!own?.overlay || own.overlay.problems.length > 0 || own.peerSetGeneration < generation) return false;
      if (own.overlay.peersChecked < hostAgents - 1) return false;
      if (oldestGeneration === undefined || oldestGeneration < generation || named.has(node.name)) return false;
      // Probe paths judged while the overlay was incomplete take a round or two to recover.
      return !failingProbes().has(node.name);
    },
  };
}
