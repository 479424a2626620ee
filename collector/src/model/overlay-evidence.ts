// What the host agents' overlay reports say about one node, for the life-cycle inference:
// has every peer removed its chain toward it (it left), has its overlay converged (it joined).
import { OverlayKind, Problem, type NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot, NodeState } from './cluster-snapshot.ts';

/** A connected host agent whose latest report verified an overlay. */
const verifyingReport = (node: NodeState): NodeReport | undefined => {
  const agent = node.hostAgent;
  const overlay = agent?.report?.overlay;
  if (!agent?.connected || !overlay || overlay.kind === OverlayKind.NONE || overlay.kind === OverlayKind.UNSPECIFIED) return undefined;
  return agent.report;
};

/** Every peer that verifies the overlay (at least one) reports every part of its chain toward `name` missing. */
export function peersRemovedChainTo(name: string, snapshot: ClusterSnapshot): boolean {
  let verifiers = 0;
  for (const node of snapshot.nodes) {
    if (node.name === name) continue;
    const report = verifyingReport(node);
    if (!report?.overlay || report.overlay.peersChecked === 0) continue;
    verifiers += 1;
    const problem = report.overlay.problems.find((p) => p.peer === name);
    if (!problem || problem.parts.length === 0 || !problem.parts.every((part) => part.problem === Problem.MISSING)) return false;
  }
  return verifiers > 0;
}

/**
 * The node verified its whole chain to every other node with a host agent, every peer that
 * verifies the overlay did so with a peer set at least as new as `generation` (so it includes
 * the node as it is now) and found nothing wrong toward it, and no probe path from or to the
 * node is failing.
 */
export function overlayConverged(node: NodeState, snapshot: ClusterSnapshot, generation: bigint): boolean {
  const own = verifyingReport(node);
  if (!own?.overlay || own.overlay.problems.length > 0 || own.peerSetGeneration < generation) return false;
  const others = snapshot.nodes.filter((n) => n.name !== node.name && n.hostAgent);
  if (own.overlay.peersChecked < others.length) return false;
  for (const peer of others) {
    const report = verifyingReport(peer);
    if (!report?.overlay) continue;
    if (report.peerSetGeneration < generation) return false;
    if (report.overlay.problems.some((p) => p.peer === node.name)) return false;
  }
  // Probe paths judged while the overlay was incomplete take a round or two to recover.
  return !snapshot.probes.failingPaths.some((path) => path.source === node.name || path.destination === node.name);
}
