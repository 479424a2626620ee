// Bounds on a NodeReport before it touches the model: a report is results, not raw tables,
// so anything larger than a 5,000-peer cluster can produce is refused, and every enum,
// name, number and text is checked (the first problem is returned).
import { LinkRole, OverlayKind, OverlayPart, Problem, type NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

const maxPeers = 10_000;
const maxLinks = 64;
const maxText = 512;
const maxName = 253;
const maxMtu = 65_535;
const overlayKinds = new Set<number>([OverlayKind.UNSPECIFIED, OverlayKind.NONE, OverlayKind.FLANNEL_VXLAN, OverlayKind.FLANNEL_HOST_GW]);
const parts = new Set<number>([OverlayPart.ROUTE, OverlayPart.NEIGHBOR, OverlayPart.FDB]);
const problems = new Set<number>([
  Problem.MISSING,
  Problem.WRONG_DEVICE,
  Problem.WRONG_GATEWAY,
  Problem.WRONG_MAC,
  Problem.WRONG_DESTINATION,
  Problem.NOT_PERMANENT,
  Problem.NOT_ONLINK,
]);
const roles = new Set<number>([LinkRole.UNSPECIFIED, LinkRole.OVERLAY, LinkRole.POD_BRIDGE, LinkRole.UNDERLAY]);
// Interface names: at most 15 bytes, no '/', no whitespace, not empty.
const ifNamePattern = /^[^\s/]{1,15}$/;
// Conntrack counters beyond 2^53 are not real and would lose precision in JSON.
const maxCounter = BigInt(Number.MAX_SAFE_INTEGER);

export function validateNodeReport(report: NodeReport): string | undefined {
  if (report.observedAtUnixMs < 0n) return 'node_report.observed_at_unix_ms is negative';
  const overlay = report.overlay;
  if (overlay) {
    if (!overlayKinds.has(overlay.kind)) return `node_report.overlay.kind ${overlay.kind} is not a known overlay kind`;
    if (overlay.peersChecked > maxPeers) return `node_report.overlay.peers_checked exceeds ${maxPeers}`;
    if (overlay.problems.length > maxPeers) return `node_report.overlay.problems has more than ${maxPeers} entries`;
    if (overlay.peersOk > overlay.peersChecked) return 'node_report.overlay.peers_ok exceeds peers_checked';
    if (overlay.problems.length > overlay.peersChecked) return 'node_report.overlay.problems has more entries than peers_checked';
    if (overlay.partCounts.length > parts.size * problems.size)
      return 'node_report.overlay.part_counts has more entries than there are parts and problems';
    for (const count of overlay.partCounts) {
      if (!parts.has(count.part) || !problems.has(count.problem))
        return 'node_report.overlay.part_counts[] names an unknown part or problem';
      if (count.peers > overlay.peersChecked) return 'node_report.overlay.part_counts[].peers exceeds peers_checked';
    }
    if (!Number.isFinite(overlay.durationSeconds) || overlay.durationSeconds < 0)
      return 'node_report.overlay.duration_seconds is not a finite non-negative number';
    if (overlay.healthyDigest.length > 128) return 'node_report.overlay.healthy_digest is too long';
    for (const problem of overlay.problems) {
      if (problem.peer.length === 0 || problem.peer.length > maxName) return 'node_report.overlay.problems[].peer is empty or too long';
      if (problem.parts.length > 8) return 'node_report.overlay.problems[].parts has more than 8 entries';
      for (const part of problem.parts) {
        if (!parts.has(part.part)) return `node_report.overlay.problems[].parts[].part ${part.part} is not a known part`;
        if (!problems.has(part.problem)) return `node_report.overlay.problems[].parts[].problem ${part.problem} is not a known problem`;
        if (part.expected.length > maxText || part.actual.length > maxText) return 'node_report.overlay.problems[].parts text is too long';
      }
    }
  }
  if (report.links.length > maxLinks) return `node_report.links has more than ${maxLinks} entries`;
  if (report.linkCounters.length > maxLinks) return `node_report.link_counters has more than ${maxLinks} entries`;
  for (const c of report.linkCounters) {
    if (c.name.length === 0 || c.name.length > maxName) return 'node_report.link_counters[].name is empty or too long';
    const rates = [c.rxErrorsPerSecond, c.txErrorsPerSecond, c.rxDroppedPerSecond, c.txDroppedPerSecond, c.intervalSeconds];
    if (!rates.every((r) => Number.isFinite(r) && r >= 0))
      return 'node_report.link_counters[] has a rate or interval that is not a finite non-negative number';
  }
  for (const link of report.links) {
    if (!ifNamePattern.test(link.name)) return `node_report.links: '${link.name.slice(0, 32)}' is not a Linux interface name`;
    if (!roles.has(link.role)) return `node_report.links[].role ${link.role} is not a known role`;
    if (link.mtu > maxMtu) return 'node_report.links[].mtu is out of range';
    if (link.operState.length > 32 || link.kind.length > 32) return 'node_report.links[].oper_state or kind is too long';
  }
  const conntrack = report.conntrack;
  if (conntrack) {
    for (const [name, value] of Object.entries({
      entries: conntrack.entries,
      max_entries: conntrack.maxEntries,
      insert_failed_total: conntrack.insertFailedTotal,
      drop_total: conntrack.dropTotal,
      early_drop_total: conntrack.earlyDropTotal,
    })) {
      if (value > maxCounter) return `node_report.conntrack.${name} is out of range`;
    }
  }
  const sysctls = report.sysctls;
  if (sysctls) {
    const entries = Object.entries(sysctls.rpFilter);
    if (entries.length > maxLinks) return `node_report.sysctls.rp_filter has more than ${maxLinks} entries`;
    for (const [name, value] of entries) {
      if (name !== 'all' && name !== 'default' && !ifNamePattern.test(name))
        return `node_report.sysctls.rp_filter: '${name.slice(0, 32)}' is not an interface name`;
      if (value > 2) return 'node_report.sysctls.rp_filter values are 0, 1 or 2';
    }
  }
  if (report.unavailable.length > 64) return 'node_report.unavailable has more than 64 entries';
  for (const u of report.unavailable)
    if (u.source.length > 64 || u.reason.length > maxText) return 'node_report.unavailable[] text is too long';
  if (report.trigger.length > 32) return 'node_report.trigger is too long';
  return undefined;
}
