// The part of a node report that decides how its probe paths behave: which overlay entries
// are broken (peer, part, problem) and the state of its overlay device, pod bridge and
// underlay (present, up, MTU). When it changes between two reports the node's probe
// evidence restarts (a change point); counters, conntrack and the healthy digest (which
// moves whenever a peer joins) do not count.
import { LinkRole, type NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

const pathRoles = new Set([LinkRole.OVERLAY, LinkRole.POD_BRIDGE, LinkRole.UNDERLAY]);

export function pathStateDigest(report: NodeReport): string {
  const problems = (report.overlay?.problems ?? [])
    .map(
      (p) =>
        `${p.peer}:${p.parts
          .map((part) => `${part.part}/${part.problem}`)
          .sort()
          .join(',')}`,
    )
    .sort();
  const links = report.links
    .filter((l) => pathRoles.has(l.role))
    .map((l) => `${l.role}:${l.name}:${l.present ? 1 : 0}${l.up ? 1 : 0}:${l.mtu}`)
    .sort();
  return `${problems.join(' ')}|${links.join(' ')}`;
}
