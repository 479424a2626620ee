// The read side of the probe store: one PathState per source × destination × network ×
// protocol × size class (merged over the source's host and pod agents, which both reach
// a pod peer over the overlay), DNS per source node and protocol, and per-agent stats.
// Built once per snapshot; O(paths).
import type { AgentNetwork } from '../model/cluster-snapshot.ts';
import { directionOf, sampledStaleIntervals, staleIntervals, summarize, windowIntervals, type Direction, type WindowSummary } from './path-state.ts';
import type { AgentProbeRecord, Attempt, PathProtocol, PathRecord, ProbeStore, SizeClass } from './probe-store.ts';

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
  readonly sampleRounds: number;
  readonly eventLoopDelayP99Seconds: number;
}

/** Small-probe attempts and failures over the recent window. */
export interface ProbeCounts {
  readonly attempts: number;
  readonly failures: number;
}

/**
 * Per node, network and protocol: the node's small probes as source (outbound) and as
 * destination (inbound) summed over its paths, and for UDP the median of its outbound
 * paths' median RTTs. What /metrics exports per node, without walking every path.
 */
export interface NodeProbeTotals {
  readonly node: string;
  readonly network: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly outbound: ProbeCounts;
  readonly inbound: ProbeCounts;
  readonly rttP50Seconds?: number;
}

export interface ProbeView {
  /** The longest probe interval any agent reports, seconds. */
  readonly intervalSeconds: number;
  /** The recent window path states are computed over (2 intervals), seconds. */
  readonly windowSeconds: number;
  readonly paths: readonly PathState[];
  /** The paths failing now (a small subset of `paths`). */
  readonly failingPaths: readonly PathState[];
  readonly nodeTotals: readonly NodeProbeTotals[];
  readonly dns: readonly DnsState[];
  readonly agents: readonly AgentProbeStats[];
}

export const emptyProbeView: ProbeView = Object.freeze({ intervalSeconds: 5, windowSeconds: 10, paths: [], failingPaths: [], nodeTotals: [], dns: [], agents: [] });

/** Sums small paths per node, network and protocol (both directions) and the median of outbound UDP medians. O(paths). */
export function nodeTotalsOf(paths: Iterable<PathState>): NodeProbeTotals[] {
  type Entry = { node: string; network: AgentNetwork; protocol: PathProtocol; outbound: { attempts: number; failures: number }; inbound: { attempts: number; failures: number }; rtts: number[] };
  const entries = new Map<string, Entry>();
  const entry = (node: string, network: AgentNetwork, protocol: PathProtocol): Entry => {
    const key = `${node}\u0000${network}\u0000${protocol}`;
    let e = entries.get(key);
    if (!e) entries.set(key, (e = { node, network, protocol, outbound: { attempts: 0, failures: 0 }, inbound: { attempts: 0, failures: 0 }, rtts: [] }));
    return e;
  };
  for (const p of paths) {
    if (p.size !== 'small') continue;
    const out = entry(p.source, p.network, p.protocol);
    out.outbound.attempts += p.attempts;
    out.outbound.failures += p.failures;
    if (p.protocol === 'udp' && p.rttP50Seconds !== undefined) out.rtts.push(p.rttP50Seconds);
    const inb = entry(p.destination, p.network, p.protocol);
    inb.inbound.attempts += p.attempts;
    inb.inbound.failures += p.failures;
  }
  return [...entries.values()].map(({ rtts, ...rest }) => {
    // The median of the per-path medians: robust to one slow peer.
    rtts.sort((a, b) => a - b);
    return rtts.length ? { ...rest, rttP50Seconds: rtts[Math.floor((rtts.length - 1) / 2)]! } : rest;
  });
}

const byTime = (a: Attempt, b: Attempt): number => a.atMs - b.atMs;
const merge = (lists: Attempt[][]): Attempt[] => (lists.length === 1 ? lists[0]! : lists.flat().sort(byTime));

/** Builds a view from scratch (no cache). */
export function buildProbeView(store: Pick<ProbeStore, 'agents'>, nowMs: number): ProbeView {
  return createProbeViewBuilder().build(store, nowMs);
}

export interface ProbeViewBuilder {
  build(store: Pick<ProbeStore, 'agents'>, nowMs: number): ProbeView;
}

interface SourceEntry {
  host?: AgentProbeRecord;
  hostVersion: number;
  pod?: AgentProbeRecord;
  podVersion: number;
  /** The states stay valid until then unless one of the source's agents sends a batch. */
  validUntilMs: number;
  paths: PathState[];
}

/**
 * Keeps the path states per source node between builds and recomputes a source only when
 * one of its agents sent a batch, a state may go stale, or a state is failing (its direction
 * depends on the target's receipts). With agents reporting every interval and passes every
 * second, a pass re-summarizes about tick / interval of the paths instead of all of them.
 */
export function createProbeViewBuilder(): ProbeViewBuilder {
  const cache = new Map<string, SourceEntry>();
  return {
    build(store, nowMs) {
      const dnsGroups = new Map<string, { source: string; protocol: PathProtocol; resolver: string; lists: Attempt[][]; intervalMs: number }>();
      const byAgent = new Map<string, { host?: AgentProbeRecord; pod?: AgentProbeRecord }>();
      const agents: AgentProbeStats[] = [];
      let intervalSeconds = 0;
      for (const agent of store.agents()) {
        intervalSeconds = Math.max(intervalSeconds, agent.intervalSeconds);
        agents.push({ node: agent.node, network: agent.network, lastBatchMs: agent.lastBatchMs, intervalSeconds: agent.intervalSeconds, sampleRounds: agent.sampleRounds, eventLoopDelayP99Seconds: agent.eventLoopDelayP99Seconds });
        let both = byAgent.get(agent.node);
        if (!both) byAgent.set(agent.node, (both = {}));
        both[agent.network] = agent;
        for (const dns of agent.dns.values()) {
          const key = `${dns.source}|${dns.protocol}`;
          const group = dnsGroups.get(key);
          if (group) group.lists.push(dns.attempts);
          else dnsGroups.set(key, { source: dns.source, protocol: dns.protocol, resolver: dns.resolver, lists: [dns.attempts], intervalMs: agent.intervalSeconds * 1000 });
        }
      }
      for (const node of cache.keys()) if (!byAgent.has(node)) cache.delete(node);

      /** Requests of this size class the path's target agent says it received from the path's source agent within its window; undefined when it sent no receipts recently. */
      const received = (r: PathRecord): number | undefined => {
        const target = byAgent.get(r.destination)?.[r.network];
        if (!target || target.receipts.size === 0) return undefined;
        const windowStart = nowMs - windowIntervals * target.intervalSeconds * 1000;
        if (target.lastBatchMs < windowStart) return undefined;
        const record = target.receipts.get(`${r.source}\u0000${r.sourceNetwork}\u0000${r.protocol}`);
        let count = 0;
        for (const entry of record?.entries ?? []) {
          if (entry.atMs <= windowStart) continue;
          count += r.size === 'large' ? entry.largeRequests : entry.requests - entry.largeRequests;
        }
        return count;
      };

      const computeSource = (both: { host?: AgentProbeRecord; pod?: AgentProbeRecord }): SourceEntry => {
        // Grouped by the store's own path key (destination, network, protocol, size): the
        // source's host and pod agents both reach pod peers, and their attempts merge.
        type Group = { records: PathRecord[]; intervalMs: number; sampled: boolean };
        const groups = new Map<string, Group>();
        let minIntervalMs = Infinity;
        for (const agent of [both.host, both.pod]) {
          if (!agent) continue;
          const intervalMs = agent.intervalSeconds * 1000;
          minIntervalMs = Math.min(minIntervalMs, intervalMs);
          const sampled = agent.sampleRounds > 1;
          for (const [key, path] of agent.paths) {
            const group = groups.get(key);
            if (group) {
              group.records.push(path);
              group.intervalMs = Math.max(group.intervalMs, intervalMs);
              group.sampled ||= sampled;
            } else groups.set(key, { records: [path], intervalMs, sampled });
          }
        }
        const paths: PathState[] = [];
        // Windows slide with time: recompute at least once per interval even without batches.
        let validUntilMs = nowMs + (Number.isFinite(minIntervalMs) ? minIntervalMs : 5000);
        for (const { records, intervalMs, sampled } of groups.values()) {
          const first = records[0]!;
          const summary = summarize(merge(records.map((r) => r.attempts)), nowMs, intervalMs, sampled);
          if (!summary) continue;
          validUntilMs = Math.min(validUntilMs, summary.newestMs + (sampled ? sampledStaleIntervals : staleIntervals) * intervalMs);
          let direction: Direction | undefined;
          if (summary.failing) {
            validUntilMs = nowMs;
            const windowStart = nowMs - windowIntervals * intervalMs;
            let sent = 0;
            let got: number | undefined;
            for (const r of records) {
              sent += r.attempts.filter((a) => a.atMs > windowStart).length;
              const n = received(r);
              if (n !== undefined) got = (got ?? 0) + n;
            }
            direction = directionOf(sent, got);
          }
          paths.push({ source: first.source, destination: first.destination, network: first.network, protocol: first.protocol, size: first.size, ...summary, ...(direction ? { direction } : {}) });
        }
        return { ...both, hostVersion: both.host?.version ?? -1, podVersion: both.pod?.version ?? -1, validUntilMs, paths };
      };

      const paths: PathState[] = [];
      for (const [node, both] of byAgent) {
        let entry = cache.get(node);
        const fresh =
          entry !== undefined && nowMs < entry.validUntilMs && entry.host === both.host && entry.pod === both.pod &&
          entry.hostVersion === (both.host?.version ?? -1) && entry.podVersion === (both.pod?.version ?? -1);
        if (!fresh) cache.set(node, (entry = computeSource(both)));
        for (const state of entry!.paths) paths.push(state);
      }
      const dns: DnsState[] = [];
      for (const group of dnsGroups.values()) {
        const summary = summarize(merge(group.lists), nowMs, group.intervalMs);
        if (summary) dns.push({ source: group.source, protocol: group.protocol, resolver: group.resolver, ...summary });
      }
      const interval = intervalSeconds || 5;
      let failingPaths: PathState[] | undefined;
      let nodeTotals: NodeProbeTotals[] | undefined;
      return Object.freeze({
        intervalSeconds: interval,
        windowSeconds: windowIntervals * interval,
        paths,
        get failingPaths() {
          return (failingPaths ??= paths.filter((p) => p.failing));
        },
        get nodeTotals() {
          return (nodeTotals ??= nodeTotalsOf(paths));
        },
        dns,
        agents,
      });
    },
  };
}
