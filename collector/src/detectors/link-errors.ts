// LinkErrors: one node's error/drop counters on a watched link (underlay, overlay device, pod
// bridge) climb while the same link on its peers stays quiet. Judged per link role on each
// host agent's latest report (rates over the agent's last read interval): a node climbs at
// ≥ 1 error or drop per second; it is an outlier only while at most a third of the reporting
// nodes climb on that role (a cluster-wide rise is traffic or a shared cause, not one node).
import { LinkRole, type LinkCounters } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { findingKind } from './finding-kinds.ts';
import { isAlive } from './pair.ts';

export const linkErrorsKind = 'LinkErrors';

/** Errors + drops per second that make a link "climbing". */
export const climbingPerSecond = 1;
/** Rates over a shorter read interval say too little. */
const minIntervalSeconds = 2;

const roleName: Record<number, string> = {
  [LinkRole.OVERLAY]: 'overlay device',
  [LinkRole.POD_BRIDGE]: 'pod bridge',
  [LinkRole.UNDERLAY]: 'underlay',
};
const total = (c: LinkCounters): number => c.rxErrorsPerSecond + c.txErrorsPerSecond + c.rxDroppedPerSecond + c.txDroppedPerSecond;
const describe = (c: LinkCounters): string =>
  `${roleName[c.role] ?? 'link'} ${c.name}: rx errors ${c.rxErrorsPerSecond.toFixed(1)}/s, tx errors ${c.txErrorsPerSecond.toFixed(1)}/s, rx dropped ${c.rxDroppedPerSecond.toFixed(1)}/s, tx dropped ${c.txDroppedPerSecond.toFixed(1)}/s over ${c.intervalSeconds.toFixed(0)} s (totals ${c.rxErrors}/${c.txErrors}/${c.rxDropped}/${c.txDropped})`;

export function detectLinkErrors(snapshot: ClusterSnapshot, config: DetectorConfig): FindingCandidate[] {
  // role → node → counters of the latest report with a rate
  const byRole = new Map<number, Map<string, LinkCounters>>();
  for (const node of snapshot.nodes) {
    if (!isAlive(node.hostAgent, snapshot.nowMs, config)) continue;
    for (const c of node.hostAgent?.report?.linkCounters ?? []) {
      if (c.intervalSeconds < minIntervalSeconds) continue;
      if (!byRole.has(c.role)) byRole.set(c.role, new Map());
      byRole.get(c.role)!.set(node.name, c);
    }
  }
  const climbing = new Map<string, LinkCounters[]>();
  for (const nodes of byRole.values()) {
    const up = [...nodes].filter(([, c]) => total(c) >= climbingPerSecond);
    if (nodes.size < 2 || up.length === 0 || up.length > Math.max(1, Math.floor(nodes.size / 3))) continue;
    for (const [name, c] of up) climbing.set(name, [...(climbing.get(name) ?? []), c]);
  }
  return [...climbing]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([node, links]) => ({
      id: findingId(linkErrorsKind, node),
      kind: linkErrorsKind,
      severity: findingKind(linkErrorsKind).severity,
      nodes: [node],
      summary: `${node}: error/drop counters climb on ${links.map((c) => `${roleName[c.role] ?? 'link'} ${c.name}`).join(', ')} while the same links on its peers stay quiet`,
      evidence: links.map(describe),
      remediation: [
        `On ${node}: ip -s -s link show ${links[0]!.name} (which counter: errors point at the NIC, cable or driver; drops at full queues, a down peer or unknown protocols).`,
        `ethtool -S ${links[0]!.name} on ${node} for the driver's own counters (crc, missed, fifo); dmesg for link resets.`,
        'Rising drops on a veth or bridge: a receiving side that is down or too slow (its pod, or the node under load).',
      ],
      explains: [],
    }));
}
