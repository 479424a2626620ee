// ConntrackPressure: a node's conntrack table is nearly full (entries / max ≥ 0.9), or its
// insert_failed or drop counters rose between its last two reports — new connections and
// UDP flows (DNS) are being dropped.
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { findingId, type DetectorConfig, type FindingCandidate } from './finding-candidate.ts';
import { findingKind } from './finding-kinds.ts';

export const conntrackPressureKind = 'ConntrackPressure';
export const conntrackFillThreshold = 0.9;

export function detectConntrackPressure(snapshot: ClusterSnapshot, _config: DetectorConfig): FindingCandidate[] {
  const findings: FindingCandidate[] = [];
  for (const node of snapshot.nodes) {
    const agent = node.hostAgent;
    const ct = agent?.report?.conntrack;
    if (!agent?.connected || !ct?.available) continue;
    const fill = ct.maxEntries > 0n ? Number(ct.entries) / Number(ct.maxEntries) : 0;
    const previous = agent.previousConntrack?.available ? agent.previousConntrack : undefined;
    const insertFailed = previous ? ct.insertFailedTotal - previous.insertFailedTotal : 0n;
    const drops = previous ? ct.dropTotal - previous.dropTotal : 0n;
    const problems: string[] = [];
    if (fill >= conntrackFillThreshold)
      problems.push(`conntrack table ${Math.round(fill * 100)} % full (${ct.entries} of ${ct.maxEntries} entries)`);
    if (insertFailed > 0n) problems.push(`${insertFailed} conntrack inserts failed since the previous report`);
    if (drops > 0n) problems.push(`${drops} packets dropped by conntrack since the previous report`);
    if (problems.length === 0) continue;
    findings.push({
      id: findingId(conntrackPressureKind, node.name),
      kind: conntrackPressureKind,
      severity: findingKind(conntrackPressureKind).severity,
      nodes: [node.name],
      summary: `${node.name}: ${problems.join('; ')}`,
      evidence: [
        ...problems,
        `entries ${ct.entries}, max ${ct.maxEntries}, insert_failed ${ct.insertFailedTotal}, drop ${ct.dropTotal}, early_drop ${ct.earlyDropTotal}`,
      ],
      remediation: [
        `On ${node.name}: conntrack -S (per-CPU insert_failed, drop); conntrack -C; sysctl net.netfilter.nf_conntrack_max.`,
        "Find who fills it: conntrack -L -o extended | awk '{print $3, $7}' | sort | uniq -c | sort -rn | head (often DNS over UDP or a connection-leaking client).",
        'Raise net.netfilter.nf_conntrack_max (kube-proxy --conntrack-max-per-core) or shorten nf_conntrack_udp_timeout; insert_failed with DNS points at the conntrack race (use TCP for DNS or NodeLocal DNSCache).',
      ],
      explains: [],
    });
  }
  return findings;
}
