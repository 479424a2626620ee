// Bounds on a NodeReport before it touches the model: a report is results, not raw tables,
// so anything larger than a 5,000-peer cluster can produce is refused.
import type { NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

const maxPeers = 10_000;
const maxLinks = 64;
const maxText = 512;

export function validateNodeReport(report: NodeReport): string | undefined {
  const overlay = report.overlay;
  if (overlay) {
    if (overlay.problems.length > maxPeers) return `node_report.overlay.problems has more than ${maxPeers} entries`;
    if (overlay.peersOk > overlay.peersChecked) return 'node_report.overlay.peers_ok exceeds peers_checked';
    for (const problem of overlay.problems) {
      if (problem.peer.length === 0 || problem.peer.length > 253) return 'node_report.overlay.problems[].peer is empty or too long';
      if (problem.parts.length > 8) return 'node_report.overlay.problems[].parts has more than 8 entries';
      for (const part of problem.parts) {
        if (part.expected.length > maxText || part.actual.length > maxText) return 'node_report.overlay.problems[].parts text is too long';
      }
    }
  }
  if (report.links.length > maxLinks) return `node_report.links has more than ${maxLinks} entries`;
  for (const link of report.links) if (link.name.length > 15) return `node_report.links: '${link.name.slice(0, 32)}' is not a Linux interface name`;
  if (report.unavailable.length > 64) return 'node_report.unavailable has more than 64 entries';
  if (report.trigger.length > 32) return 'node_report.trigger is too long';
  return undefined;
}
