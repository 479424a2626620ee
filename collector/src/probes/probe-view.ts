// The read side of the probe store: one PathState per source × destination × network ×
// protocol × size class (merged over the source's host and pod agents, which both reach
// a pod peer over the overlay), DNS per source node and protocol, and per-agent stats.
// Built once per snapshot; O(paths).
import type { AgentNetwork } from '../model/cluster-snapshot.ts';
import { directionOf, summarize, windowIntervals, type Direction, type WindowSummary } from './path-state.ts';
import type { Attempt, PathProtocol, PathRecord, ProbeStore, SizeClass } from './probe-store.ts';

export interface PathState extends WindowSummary {
  readonly source: string;
  readonly destination: string;
  /** The network the destination was probed on: host = underlay, pod = overlay. */
  readonly network: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly size: SizeClass;
  /** Set on failing paths when the target's receipts tell which way probes are lost. */
  readonly direction?: Direction;
}

export interface DnsState extends WindowSummary {
  readonly source: string;
  readonly protocol: PathProtocol;
  readonly resolver: string;
}

export interface AgentProbeStats {
  readonly node: string;
  readonly network: AgentNetwork;
  readonly lastBatchMs: number;
  readonly intervalSeconds: number;
  readonly eventLoopDelayP99Seconds: number;
}

export interface ProbeView {
  /** The longest probe interval any agent reports, seconds. */
  readonly intervalSeconds: number;
  /** The recent window path states are computed over (2 intervals), seconds. */
  readonly windowSeconds: number;
  readonly paths: readonly PathState[];
  readonly dns: readonly DnsState[];
  readonly agents: readonly AgentProbeStats[];
}

export const emptyProbeView: ProbeView = Object.freeze({ intervalSeconds: 5, windowSeconds: 10, paths: [], dns: [], agents: [] });

const byTime = (a: Attempt, b: Attempt): number => a.atMs - b.atMs;
const merge = (lists: Attempt[][]): Attempt[] => (lists.length === 1 ? lists[0]! : lists.flat().sort(byTime));

export function buildProbeView(store: Pick<ProbeStore, 'agents'> & Partial<Pick<ProbeStore, 'notBefore'>>, nowMs: number): ProbeView {
  const groups = new Map<string, { records: PathRecord[]; intervalMs: number }>();
  const dnsGroups = new Map<string, { source: string; protocol: PathProtocol; resolver: string; lists: Attempt[][]; intervalMs: number }>();
  const receipts = new Map<string, number>(); // `${dst}|${net}|${src}|${srcNet}|${proto}|${size}` → requests in window
  const receivers = new Set<string>(); // agents that sent receipts and a batch recently
  const agents: AgentProbeStats[] = [];
  let intervalSeconds = 0;
  for (const agent of store.agents()) {
    const intervalMs = agent.intervalSeconds * 1000;
    intervalSeconds = Math.max(intervalSeconds, agent.intervalSeconds);
    agents.push({ node: agent.node, network: agent.network, lastBatchMs: agent.lastBatchMs, intervalSeconds: agent.intervalSeconds, eventLoopDelayP99Seconds: agent.eventLoopDelayP99Seconds });
    for (const path of agent.paths.values()) {
      const key = `${path.source}|${path.destination}|${path.network}|${path.protocol}|${path.size}`;
      const group = groups.get(key);
      if (group) {
        group.records.push(path);
        group.intervalMs = Math.max(group.intervalMs, intervalMs);
      } else groups.set(key, { records: [path], intervalMs });
    }
    for (const dns of agent.dns.values()) {
      const key = `${dns.source}|${dns.protocol}`;
      const group = dnsGroups.get(key);
      if (group) group.lists.push(dns.attempts);
      else dnsGroups.set(key, { source: dns.source, protocol: dns.protocol, resolver: dns.resolver, lists: [dns.attempts], intervalMs });
    }
    const windowStart = nowMs - windowIntervals * intervalMs;
    if (agent.receipts.size > 0 && agent.lastBatchMs >= windowStart) receivers.add(`${agent.node}|${agent.network}`);
    for (const r of agent.receipts.values()) {
      let small = 0;
      let large = 0;
      for (const entry of r.entries) {
        if (entry.atMs <= windowStart) continue;
        small += entry.requests - entry.largeRequests;
        large += entry.largeRequests;
      }
      const base = `${r.destination}|${r.network}|${r.source}|${r.sourceNetwork}|${r.protocol}`;
      receipts.set(`${base}|small`, small);
      receipts.set(`${base}|large`, large);
    }
  }

  const paths: PathState[] = [];
  for (const { records, intervalMs } of groups.values()) {
    const first = records[0]!;
    // Attempts made while the destination's agent was away (restarted) do not count.
    const notBefore = store.notBefore?.(first.destination, first.network) ?? 0;
    const current = (list: Attempt[]): Attempt[] => (notBefore > 0 && (list[0]?.atMs ?? notBefore) < notBefore ? list.filter((a) => a.atMs >= notBefore) : list);
    const lists = records.map((r) => current(r.attempts));
    const summary = summarize(merge(lists), nowMs, intervalMs);
    if (!summary) continue;
    let direction: Direction | undefined;
    if (summary.failing && receivers.has(`${first.destination}|${first.network}`)) {
      const windowStart = nowMs - windowIntervals * intervalMs;
      let sent = 0;
      let received = 0;
      for (const [i, r] of records.entries()) {
        sent += lists[i]!.filter((a) => a.atMs > windowStart).length;
        received += receipts.get(`${r.destination}|${r.network}|${r.source}|${r.sourceNetwork}|${r.protocol}|${r.size}`) ?? 0;
      }
      direction = directionOf(sent, received);
    }
    paths.push({ source: first.source, destination: first.destination, network: first.network, protocol: first.protocol, size: first.size, ...summary, ...(direction ? { direction } : {}) });
  }
  const dns: DnsState[] = [];
  for (const group of dnsGroups.values()) {
    const summary = summarize(merge(group.lists), nowMs, group.intervalMs);
    if (summary) dns.push({ source: group.source, protocol: group.protocol, resolver: group.resolver, ...summary });
  }
  const interval = intervalSeconds || 5;
  return Object.freeze({ intervalSeconds: interval, windowSeconds: windowIntervals * interval, paths, dns, agents });
}
