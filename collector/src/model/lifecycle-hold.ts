// Holds findings about nodes in a life-cycle transition (node-lifecycle.ts): the detectors
// see every peer's report without its overlay problems toward a held node, and findings that
// name a held node are not raised. Detectors themselves stay unaware of the life cycle.
import type { Detector, FindingCandidate } from '../detectors/finding-candidate.ts';
import type { ClusterModel } from './cluster-model.ts';
import type { ClusterSnapshot, NodeState } from './cluster-snapshot.ts';
import type { LifecycleHold, NodeLifecycle } from './node-lifecycle.ts';

/**
 * The snapshot with each report's overlay problems toward held nodes, and toward nodes that
 * left (a report from before the peer set without them), removed (counted as not checked).
 */
export function withoutHeldPeers(snapshot: ClusterSnapshot, heldNodes: ReadonlyMap<string, LifecycleHold>): ClusterSnapshot {
  if (heldNodes.size === 0 && !snapshot.departed?.length) return snapshot;
  const left = new Set(snapshot.departed?.map((d) => d.name));
  const held = { has: (name: string) => heldNodes.has(name) || left.has(name) };
  const strip = (node: NodeState): NodeState => {
    const agent = node.hostAgent;
    const overlay = agent?.report?.overlay;
    if (!agent?.report || !overlay || !overlay.problems.some((p) => held.has(p.peer))) return node;
    const problems = overlay.problems.filter((p) => !held.has(p.peer));
    const removed = overlay.problems.length - problems.length;
    const report = { ...agent.report, overlay: { ...overlay, problems, peersChecked: Math.max(0, overlay.peersChecked - removed) } };
    return Object.freeze({ ...node, hostAgent: Object.freeze({ ...agent, report }) });
  };
  const nodes = Object.freeze(snapshot.nodes.map(strip));
  return Object.freeze({
    nowMs: snapshot.nowMs,
    nodes,
    ...(snapshot.departed ? { departed: snapshot.departed } : {}),
    get probes() {
      return snapshot.probes;
    },
  });
}

const namesHeld = (candidate: FindingCandidate, held: ReadonlyMap<string, LifecycleHold>): boolean =>
  candidate.nodes.some((n) => held.has(n)) || (candidate.peer !== undefined && held.has(candidate.peer));

/**
 * The findings engine's view: a snapshot taken after the life cycle observed the model (so a
 * node concluded to have left is already gone), and detectors whose findings naming a held
 * node are dropped. repairPoint passes straight through: the engine voids a node's probe
 * failures through it when a root cause on the node resolves.
 */
export function createLifecycleHold(deps: {
  model: Pick<ClusterModel, 'snapshot' | 'onStateChange' | 'repairPoint'>;
  lifecycle: NodeLifecycle;
}) {
  const { model, lifecycle } = deps;
  return {
    model: {
      snapshot: (): ClusterSnapshot => {
        lifecycle.observe(model.snapshot());
        return withoutHeldPeers(model.snapshot(), lifecycle.held);
      },
      onStateChange: (listener: () => void) => model.onStateChange(listener),
      repairPoint: (nodes: Iterable<string>) => model.repairPoint(nodes),
    },
    detectors: (detectors: Detector[]): Detector[] =>
      detectors.map((detector) => ({
        kind: detector.kind,
        detect: (snapshot: ClusterSnapshot) => detector.detect(snapshot).filter((candidate) => !namesHeld(candidate, lifecycle.held)),
      })),
  };
}
