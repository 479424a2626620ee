// With the API on: a Node whose agent never connected is AgentMissing ("never connected"),
// and an AgentMissing on a Node that is NotReady or cordoned says so — a warning linked to
// the node's state, not a page.
import { agentMissingKind } from '../detectors/agent-missing.ts';
import { findingId, type Detector, type FindingCandidate } from '../detectors/finding-candidate.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { ApiStatus } from './node-informer.ts';
import type { NodeRecord } from './node-record.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function nodeStateLines(record: NodeRecord): string[] {
  const lines: string[] = [];
  if (record.ready === false)
    lines.push(
      `the Node is NotReady${record.readySinceMs !== undefined ? ` since ${iso(record.readySinceMs)}` : ''}${record.readyReason ? ` (${record.readyReason})` : ''}: the node itself is down or rebooting`,
    );
  if (record.unschedulable) lines.push('the Node is cordoned (spec.unschedulable): it is being drained or maintained');
  if (record.deleting) lines.push('the Node is being deleted');
  return lines;
}

/** Adds the Node's state to AgentMissing findings. */
export function linkAgentMissingToNodeState(detector: Detector, records: ReadonlyMap<string, NodeRecord>): Detector {
  if (detector.kind !== agentMissingKind) return detector;
  return {
    kind: detector.kind,
    detect: (snapshot) =>
      detector.detect(snapshot).map((candidate) => {
        const record = records.get(candidate.nodes[0] ?? '');
        const lines = record ? nodeStateLines(record) : [];
        if (lines.length === 0) return candidate;
        return {
          ...candidate,
          severity: 'warning',
          summary: `${candidate.summary}; ${lines[0]!.split(':')[0]}`,
          evidence: [...lines, ...candidate.evidence],
        };
      }),
  };
}

/** AgentMissing for Nodes the API lists whose host agent never said hello, graceMs after the collector first saw the Node. */
export function createNeverConnectedDetector(deps: {
  records: ReadonlyMap<string, NodeRecord>;
  status: () => ApiStatus;
  graceMs: number;
}): Detector {
  const firstSeen = new Map<string, number>();
  return {
    kind: agentMissingKind,
    detect(snapshot: ClusterSnapshot): FindingCandidate[] {
      if (!deps.status().synced) return [];
      const known = new Set(snapshot.nodes.filter((n) => n.hostAgent).map((n) => n.name));
      const findings: FindingCandidate[] = [];
      for (const name of firstSeen.keys()) if (!deps.records.has(name)) firstSeen.delete(name);
      for (const [name, record] of deps.records) {
        if (known.has(name) || record.deleting) continue;
        // The collector's own clock (not the Node's creationTimestamp: the API server's clock may differ).
        const since = firstSeen.get(name) ?? snapshot.nowMs;
        if (!firstSeen.has(name)) firstSeen.set(name, since);
        if (snapshot.nowMs - since < deps.graceMs) continue;
        const state = nodeStateLines(record);
        findings.push({
          id: findingId(agentMissingKind, name),
          kind: agentMissingKind,
          severity: 'warning',
          nodes: [name],
          summary: `${name}'s netsentry host agent never connected${state.length > 0 ? `; ${state[0]!.split(':')[0]}` : ''}`,
          evidence: [...state, `the Kubernetes API lists Node ${name}; no host agent has said hello for it since the collector started`],
          remediation: [
            `Is the agent DaemonSet scheduled there? kubectl get pods -A -o wide --field-selector spec.nodeName=${name} | grep netsentry (taints the DaemonSet does not tolerate keep it off).`,
            "Read the agent pod's events and logs: kubectl -n <namespace> describe pod <agent-pod>; kubectl -n <namespace> logs <agent-pod>.",
          ],
          explains: [],
        });
      }
      return findings;
    },
  };
}
