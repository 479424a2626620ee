// AgentMissing: a known node's host agent is gone or silent. The node stays known, and in
// every peer set, until the model expires it.
// - Disconnected: missing once the stream has been closed (and no message came) for
//   agentMissingAfterMs. The open stream itself proves liveness until it closes, so a
//   restarting agent does not flap the finding.
// - Connected but silent: missing after max(agentMissingAfterMs, 3 heartbeat intervals)
//   without a heartbeat or report; a healthy agent only speaks once per interval, so a
//   threshold shorter than that would flag every node. While the collector reads heartbeats
//   late (ingestLagMs: a busy collector, its buffers full of unread heartbeats), the
//   threshold grows by that lag: silence is judged on what the agent sent, not on what the
//   collector has found time to read.
import type { AgentState, ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { findingKind } from './finding-kinds.ts';

export const agentMissingKind = 'AgentMissing';

const iso = (ms: number): string => new Date(ms).toISOString();

/** How long a connected agent may be quiet: 3 heartbeats or agentMissingAfterMs, plus the collector's own read lag. */
export function silenceThresholdMs(config: DetectorConfig): { thresholdMs: number; lagMs: number } {
  const lagMs = Math.max(0, config.ingestLagMs?.() ?? 0);
  return { thresholdMs: Math.max(config.agentMissingAfterMs, 3 * config.heartbeatIntervalMs) + lagMs, lagMs };
}

function evidence(agent: AgentState, { thresholdMs, lagMs }: { thresholdMs: number; lagMs: number }): string[] {
  const lines = [
    agent.connected
      ? `stream from ${agent.peerAddress} open since ${iso(agent.connectedSinceMs)}, but no heartbeat or report since ${iso(agent.lastSeenMs)}`
      : `stream from ${agent.peerAddress} closed at ${iso(agent.disconnectedAtMs ?? agent.lastSeenMs)}; last message at ${iso(agent.lastSeenMs)}`,
    agent.connected
      ? `threshold: ${thresholdMs / 1000} s without a heartbeat or report${lagMs > 0 ? ` (including ${(lagMs / 1000).toFixed(1)} s the collector is reading heartbeats late)` : ''}`
      : `threshold: ${thresholdMs / 1000} s disconnected`,
  ];
  if (agent.lastReportMs !== undefined)
    lines.push(`last node report at ${iso(agent.lastReportMs)}; its overlay state is no longer verified`);
  return lines;
}

function remediation(node: string): string[] {
  return [
    `Is the node itself healthy? kubectl get node ${node} (NotReady or gone explains a silent agent; a removed node is forgotten after the node expiry).`,
    `Find the netsentry agent on it: kubectl get pods -A -o wide --field-selector spec.nodeName=${node} | grep netsentry`,
    'Read its logs, including the previous container: kubectl -n <namespace> logs <agent-pod> --previous',
    `Check that ${node} can reach the collector's gRPC port (a NetworkPolicy or firewall change between the node and the collector Service).`,
  ];
}

export function isMissing(agent: AgentState, nowMs: number, config: DetectorConfig): boolean {
  if (agent.connected) return nowMs - agent.lastSeenMs > silenceThresholdMs(config).thresholdMs;
  return nowMs - Math.max(agent.lastSeenMs, agent.disconnectedAtMs ?? agent.lastSeenMs) > config.agentMissingAfterMs;
}

export function detectAgentMissing(snapshot: ClusterSnapshot, config: DetectorConfig): FindingCandidate[] {
  const findings: FindingCandidate[] = [];
  for (const node of snapshot.nodes) {
    const agent = node.hostAgent;
    if (!agent) continue;
    if (!isMissing(agent, snapshot.nowMs, config)) continue;
    findings.push({
      id: findingId(agentMissingKind, node.name),
      kind: agentMissingKind,
      severity: findingKind(agentMissingKind).severity,
      nodes: [node.name],
      summary: agent.connected
        ? `${node.name}'s netsentry host agent is connected but silent since ${iso(agent.lastSeenMs)}`
        : `${node.name}'s netsentry host agent is disconnected since ${iso(agent.disconnectedAtMs ?? agent.lastSeenMs)}`,
      evidence: evidence(agent, agent.connected ? silenceThresholdMs(config) : { thresholdMs: config.agentMissingAfterMs, lagMs: 0 }),
      remediation: remediation(node.name),
      explains: [],
    });
  }
  return findings;
}
