// The JSON view of a node for GET /api/v1/nodes: plain values only (bigints become numbers,
// enums become names), so it serialises and stays stable across proto changes.
import type {
  ApiAgent,
  ApiConntrack,
  ApiDepartedNode,
  ApiLifecycle,
  ApiLink,
  ApiNode,
  ApiOverlayCheck,
} from '../../../shared/src/api-types.ts';
import type { Conntrack, LinkStatus, NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { AgentState, DepartedNode, NodeState } from '../model/cluster-snapshot.ts';
import type { LifecycleHold } from '../model/node-lifecycle.ts';
import { linkRoleName, overlayKindName, overlayPartName, problemName } from '../model/wire-names.ts';
import { problemPeerCount } from '../model/overlay-counts.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

const linkView = (link: LinkStatus): ApiLink => ({
  name: link.name,
  role: linkRoleName(link.role),
  present: link.present,
  up: link.up,
  operState: link.operState,
  mtu: link.mtu,
  kind: link.kind,
});

const conntrackView = (conntrack: Conntrack): ApiConntrack => ({
  available: conntrack.available,
  entries: Number(conntrack.entries),
  maxEntries: Number(conntrack.maxEntries),
  insertFailedTotal: Number(conntrack.insertFailedTotal),
  dropTotal: Number(conntrack.dropTotal),
  earlyDropTotal: Number(conntrack.earlyDropTotal),
});

const overlayCheckView = (report: NodeReport): ApiOverlayCheck | undefined => {
  const overlay = report.overlay;
  if (!overlay) return undefined;
  return {
    kind: overlayKindName(overlay.kind),
    peersChecked: overlay.peersChecked,
    peersOk: overlay.peersOk,
    peerSetGeneration: Number(report.peerSetGeneration),
    durationSeconds: overlay.durationSeconds,
    /** Peers with a problem in all; `problems` lists the first of them (at most 100) by name. */
    peersWithProblems: problemPeerCount(overlay),
    problems: overlay.problems.map((problem) => ({
      peer: problem.peer,
      parts: problem.parts.map((part) => ({
        part: overlayPartName(part.part),
        problem: problemName(part.problem),
        expected: part.expected,
        actual: part.actual,
      })),
    })),
  };
};

export function agentView(agent: AgentState): ApiAgent {
  const { hello, report } = agent;
  const overlay = hello.overlay;
  return {
    connected: agent.connected,
    connectedSince: iso(agent.connectedSinceMs),
    lastSeen: iso(agent.lastSeenMs),
    ...(agent.lastReportMs !== undefined ? { lastReport: iso(agent.lastReportMs) } : {}),
    ...(agent.disconnectedAtMs !== undefined ? { disconnectedAt: iso(agent.disconnectedAtMs) } : {}),
    network: agent.network,
    agentVersion: hello.agentVersion,
    ...(hello.instanceId ? { instanceId: hello.instanceId } : {}),
    ...(hello.startedAtUnixMs > 0n ? { startedAt: iso(Number(hello.startedAtUnixMs)) } : {}),
    restarts: agent.restarts,
    ...(agent.restartedAtMs !== undefined ? { restartedAt: iso(agent.restartedAtMs) } : {}),
    addresses: [...hello.addresses],
    podCidrs: [...hello.podCidrs],
    probe: { address: hello.probeAddress, port: hello.probePort },
    ...(overlay
      ? {
          overlay: {
            kind: overlayKindName(overlay.kind),
            name: overlay.name,
            vni: overlay.vni,
            port: overlay.port,
            vtepMac: overlay.vtepMac,
            vtepIp: overlay.vtepIp,
            mtu: overlay.mtu,
            underlayDevice: overlay.underlayDevice,
            underlayMtu: overlay.underlayMtu,
          },
        }
      : {}),
    ...(report
      ? {
          overlayCheck: overlayCheckView(report),
          links: report.links.map(linkView),
          ...(report.conntrack ? { conntrack: conntrackView(report.conntrack) } : {}),
          unavailable: report.unavailable.map((u) => ({ source: u.source, reason: u.reason })),
        }
      : {}),
  };
}

export function nodeView(node: NodeState): Pick<ApiNode, 'name' | 'hostAgent' | 'podAgent'> {
  return {
    name: node.name,
    ...(node.hostAgent ? { hostAgent: agentView(node.hostAgent) } : {}),
    ...(node.podAgent ? { podAgent: agentView(node.podAgent) } : {}),
  };
}

/** `state`: active, or the transition the node is in (findings about it held meanwhile). */
export const lifecycleView = (hold: LifecycleHold | undefined): ApiLifecycle =>
  hold ? { state: hold.state, stateSince: iso(hold.sinceMs), stateReason: hold.reason } : { state: 'active' as const };

export const departedView = (node: DepartedNode): ApiDepartedNode => ({
  name: node.name,
  state: 'left' as const,
  leftAt: iso(node.leftAtMs),
  reason: node.reason,
});
