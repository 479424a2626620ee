// The read side of the probe store: one PathState per source × destination × network ×
// protocol × size class (merged over the source's host and pod agents, which both reach
// a pod peer over the overlay), DNS per source node and protocol, and per-agent stats.
// Incremental, so a detector pass does not cost O(paths) at 5,000 nodes: a path is
// re-summarized when a batch adds to it (at ingest); rechecked when its state may go stale
// or its window slides, from a per-source queue worked off when that source's next batch
// arrives (or by a pass, once a source has been silent for an interval); and re-summarized
// on every pass while failing (its direction comes from the target's receipts). Readers that keep their own per-path structures (the mesh
// index) subscribe to the changes instead of rescanning.
import type { AgentNetwork } from '../model/agent-network.ts';
import {
  directionOf,
  sampledStaleIntervals,
  staleIntervals,
  summarize,
  windowIntervals,
  type Direction,
  type WindowSummary,
} from './path-state.ts';
import { attemptAtMs, attemptCount, attemptOk, mergeLogs, type AttemptLog } from './attempt-log.ts';
import { pathKeyOf, type AgentProbeRecord, type PathProtocol, type PathRecord, type ProbeStore, type SizeClass } from './probe-store.ts';

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
  /** Where the states come from, for readers that follow changes instead of rescanning. */
  readonly feed: PathStateFeed;
}

/** Called with a path's state before and after a change (undefined: no state). */
export type PathStateListener = (previous: PathState | undefined, next: PathState | undefined) => void;

export interface PathStateFeed {
  /** Every state now; then `listener` hears every change until unsubscribed. */
  subscribe(listener: PathStateListener): { current: Iterable<PathState>; unsubscribe(): void };
}

const emptyFeed: PathStateFeed = { subscribe: () => ({ current: [], unsubscribe: () => undefined }) };
export const emptyProbeView: ProbeView = Object.freeze({
  intervalSeconds: 5,
  windowSeconds: 10,
  paths: [],
  failingPaths: [],
  nodeTotals: [],
  dns: [],
  agents: [],
  feed: emptyFeed,
});

/** Sums small paths per node, network and protocol (both directions) and the median of outbound UDP medians. O(paths); the builder keeps the sums incrementally. */
export function nodeTotalsOf(paths: Iterable<PathState>): NodeProbeTotals[] {
  type Entry = {
    node: string;
    network: AgentNetwork;
    protocol: PathProtocol;
    outbound: { attempts: number; failures: number };
    inbound: { attempts: number; failures: number };
    rtts: number[];
  };
  const entries = new Map<string, Entry>();
  const entry = (node: string, network: AgentNetwork, protocol: PathProtocol): Entry => {
    const key = `${node}\u0000${network}\u0000${protocol}`;
    let e = entries.get(key);
    if (!e)
      entries.set(
        key,
        (e = { node, network, protocol, outbound: { attempts: 0, failures: 0 }, inbound: { attempts: 0, failures: 0 }, rtts: [] }),
      );
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

/** Builds a view from scratch: every path of every agent summarized at nowMs. */
export function buildProbeView(store: ProbeStore, nowMs: number): ProbeView {
  const builder = createProbeViewBuilder();
  for (const agent of store.agents()) builder.touched(store, [...agent.paths.values()], nowMs);
  return builder.build(store, nowMs);
}

export interface ProbeViewBuilder {
  /** After store.ingest: re-summarizes the paths the batch added to. */
  touched(store: ProbeStore, records: readonly PathRecord[], nowMs: number): void;
  /** After store.destinationReset or store.forget for this agent: drops what lost its records. */
  agentGone(store: ProbeStore, node: string, network: AgentNetwork, nowMs: number): void;
  /** After store.changePoint: re-summarizes every path from or to these nodes (one pass over the sources). */
  nodesChanged(store: ProbeStore, nodes: ReadonlySet<string>, nowMs: number): void;
  /** Brings time-driven states up to nowMs (staleness, sliding windows, failing paths) and returns the view. */
  build(store: ProbeStore, nowMs: number): ProbeView;
}

/** One path state's inputs: the source's host and/or pod agent records for the same path key. */
interface Group {
  readonly source: string;
  readonly key: string;
  records: PathRecord[];
  state: PathState | undefined;
  /** Bumps on every summary, so rechecks queued for older summaries are skipped. */
  seq: number;
}

/** A queued recheck: at atMs the state goes stale (expires) or its window has slid. */
interface Recheck {
  readonly group: Group;
  readonly seq: number;
  readonly atMs: number;
  readonly expires: boolean;
}

/** Per source, roughly in time order (one source's rechecks are scheduled at similar offsets). */
interface RecheckQueue {
  /** Worked-off slots are cleared, so they do not keep dead groups (and their records) alive. */
  items: (Recheck | undefined)[];
  head: number;
}

export function createProbeViewBuilder(): ProbeViewBuilder {
  const sources = new Map<string, Map<string, Group>>();
  const failing = new Set<Group>();
  const queues = new Map<string, RecheckQueue>();
  const listeners = new Set<PathStateListener>();
  // Per node: small-probe sums per network × protocol (4 slots) × outbound/inbound attempts/failures.
  const totals = new Map<string, Float64Array>();
  const totalsSlot = (network: AgentNetwork, protocol: PathProtocol): number =>
    ((network === 'host' ? 0 : 2) + (protocol === 'udp' ? 0 : 1)) * 4;
  // Per source node and network: its small UDP paths' median RTTs, kept sorted, so the
  // median of medians is a lookup.
  // Per network, then source: no key string built per change.
  const rtts = { host: new Map<string, number[]>(), pod: new Map<string, number[]>() } satisfies Record<
    AgentNetwork,
    Map<string, number[]>
  >;
  const lowerBound = (list: number[], value: number): number => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const addRtt = (state: PathState, sign: 1 | -1): void => {
    const rtt = state.rttP50Seconds;
    if (rtt === undefined) return;
    const byNetwork = rtts[state.network];
    const source = state.source;
    let list = byNetwork.get(source);
    if (!list) byNetwork.set(source, (list = []));
    const at = lowerBound(list, rtt);
    // Shifted by hand: splice returns a new array on every call, and this runs for every new or expiring UDP path.
    if (sign > 0) {
      list.push(rtt);
      for (let i = list.length - 1; i > at; i--) list[i] = list[i - 1]!;
      list[at] = rtt;
    } else if (list[at] === rtt) {
      for (let i = at; i < list.length - 1; i++) list[i] = list[i + 1]!;
      list.pop();
    }
    if (list.length === 0) byNetwork.delete(source);
  };
  const addTotals = (state: PathState, sign: 1 | -1): void => {
    // Each field read once: compact states compute them (healthy-paths.ts).
    if (state.size !== 'small') return;
    const protocol = state.protocol;
    if (protocol === 'udp') addRtt(state, sign);
    const slot = totalsSlot(state.network, protocol);
    const attempts = sign * state.attempts;
    const failures = sign * state.failures;
    let out = totals.get(state.source);
    if (!out) totals.set(state.source, (out = new Float64Array(16)));
    out[slot] = out[slot]! + attempts;
    out[slot + 1] = out[slot + 1]! + failures;
    let inb = totals.get(state.destination);
    if (!inb) totals.set(state.destination, (inb = new Float64Array(16)));
    inb[slot + 2] = inb[slot + 2]! + attempts;
    inb[slot + 3] = inb[slot + 3]! + failures;
  };

  const schedule = (group: Group, atMs: number, expires: boolean): void => {
    let queue = queues.get(group.source);
    if (!queue) queues.set(group.source, (queue = { items: [], head: 0 }));
    queue.items.push({ group, seq: group.seq, atMs, expires });
  };

  /** Requests of this size class the path's target agent says it received from the path's source agent within its window; undefined when it sent no receipts recently. */
  const received = (store: ProbeStore, r: PathRecord, nowMs: number): number | undefined => {
    const target = store.agent(r.destination, r.network);
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

  // The store's compact tier tells this view about its states (one store per view; a new store rebinds).
  let bound: ProbeStore | undefined;
  const bind = (store: ProbeStore): void => {
    if (bound === store) return;
    bound = store;
    store.healthy.listen({
      change: (previous, next, key) => {
        // A path has one state: a compact one replaces what is left of its attempt logs (records pruned from the store).
        // Most sources have no logged paths: look there first, and build no key string per new path.
        const groups = !previous && next ? sources.get(next.source) : undefined;
        const group = groups?.get(key ?? pathKeyOf(next!.destination, next!.network, next!.protocol, next!.size));
        if (group) {
          group.seq += 1;
          group.records = [];
          setState(group, undefined);
        }
        emit(previous, next);
      },
      retract: (state) => addTotals(state, -1),
      restore: (state) => addTotals(state, 1),
    });
    for (const state of store.healthy.states()) addTotals(state, 1);
  };
  const emit = (previous: PathState | undefined, next: PathState | undefined): void => {
    if (previous === next) return;
    if (previous) addTotals(previous, -1);
    if (next) addTotals(next, 1);
    for (const listener of listeners) listener(previous, next);
  };

  /** A path whose window holds no failure leaves the attempt logs for the compact tier (healthy-paths.ts). */
  const demote = (store: ProbeStore, group: Group, records: PathRecord[], log: AttemptLog, next: PathState, intervalMs: number): void => {
    const n = attemptCount(log);
    let i = n - 1;
    let newestCount = 0;
    while (i >= 0 && attemptAtMs(log, i) === next.newestMs) [newestCount, i] = [newestCount + 1, i - 1];
    const previousMs = i >= 0 ? attemptAtMs(log, i) : 0;
    let previousCount = 0;
    while (i >= 0 && attemptAtMs(log, i) === previousMs) [previousCount, i] = [previousCount + 1, i - 1];
    let okRun = 0;
    while (okRun < n && attemptOk(log, n - 1 - okRun)) okRun += 1;
    for (const r of records) {
      const agent = store.agent(r.source, r.sourceNetwork);
      if (agent?.paths.get(r.key) === r) agent.paths.delete(r.key);
    }
    group.records = [];
    const previous = group.state;
    group.state = undefined;
    failing.delete(group);
    const groups = sources.get(group.source);
    if (groups?.get(group.key) === group) {
      groups.delete(group.key);
      if (groups.size === 0) sources.delete(group.source);
    }
    const rtt = next.rttP50Seconds ?? 0;
    const rttMax = next.rttP95Seconds ?? rtt;
    const state = store.healthy.adopt(
      {
        source: group.source,
        destination: next.destination,
        key: group.key,
        network: next.network,
        protocol: next.protocol,
        size: next.size,
      },
      {
        okRun,
        newestMs: next.newestMs,
        newestCount,
        newestRtt: rtt,
        newestRttMax: rttMax,
        newestSize: next.okSizeBytes,
        previousMs,
        previousCount,
        previousRtt: rtt,
        previousRttMax: rttMax,
        previousSize: next.okSizeBytes,
        intervalMs,
        sampled: next.sampled,
      },
    );
    emit(previous, state);
  };

  const summarizeGroup = (store: ProbeStore, group: Group, nowMs: number): void => {
    // A record is current while its agent still holds it (not forgotten, reset or pruned).
    const agents: AgentProbeRecord[] = [];
    const records: PathRecord[] = [];
    for (const r of group.records) {
      const agent = store.agent(r.source, r.sourceNetwork);
      if (agent?.paths.get(r.key) !== r) continue;
      agents.push(agent);
      records.push(r);
    }
    group.records = records;
    group.seq += 1;
    let next: PathState | undefined;
    if (records.length > 0) {
      let intervalMs = 0;
      let sampled = false;
      for (const agent of agents) {
        intervalMs = Math.max(intervalMs, agent.intervalSeconds * 1000);
        sampled ||= agent.sampleRounds > 1;
      }
      const log = records.length === 1 ? records[0]!.attempts : mergeLogs(records.map((r) => r.attempts));
      const summary = summarize(log, nowMs, intervalMs, sampled);
      if (summary) {
        let direction: Direction | undefined;
        if (summary.failing) {
          const windowStart = nowMs - windowIntervals * intervalMs;
          let sent = 0;
          let got: number | undefined;
          for (const r of records) {
            for (let i = 0; i < attemptCount(r.attempts); i++) if (attemptAtMs(r.attempts, i) > windowStart) sent += 1;
            const n = received(store, r, nowMs);
            if (n !== undefined) got = (got ?? 0) + n;
          }
          direction = directionOf(sent, got);
        }
        const first = records[0]!;
        // The summary is fresh: extend it in place rather than copy it.
        next = Object.assign(
          summary,
          { source: first.source, destination: first.destination, network: first.network, protocol: first.protocol, size: first.size },
          direction ? { direction } : undefined,
        );
        if (summary.healthy && summary.failures === 0) {
          demote(store, group, records, log, next, intervalMs);
          return;
        }
        // Failing states are redone every pass; the others when they may go stale or, for
        // full-mesh paths (judged over a window of 2 intervals), after one interval.
        if (!summary.failing) {
          const staleAtMs = summary.newestMs + (sampled ? sampledStaleIntervals : staleIntervals) * intervalMs;
          if (sampled || staleAtMs <= nowMs + intervalMs) schedule(group, staleAtMs, true);
          else schedule(group, nowMs + intervalMs, false);
        }
      }
    }
    setState(group, next);
  };

  const setState = (group: Group, next: PathState | undefined): void => {
    const previous = group.state;
    group.state = next;
    if (next?.failing) failing.add(group);
    else failing.delete(group);
    if (!next) {
      const groups = sources.get(group.source);
      if (groups?.get(group.key) === group) {
        groups.delete(group.key);
        if (groups.size === 0) sources.delete(group.source);
      }
    }
    emit(previous, next);
  };

  const groupFor = (record: PathRecord): Group => {
    let groups = sources.get(record.source);
    if (!groups) sources.set(record.source, (groups = new Map()));
    let group = groups.get(record.key);
    if (!group) groups.set(record.key, (group = { source: record.source, key: record.key, records: [], state: undefined, seq: 0 }));
    const i = group.records.findIndex((r) => r.sourceNetwork === record.sourceNetwork);
    if (i < 0) group.records.push(record);
    else group.records[i] = record;
    return group;
  };

  /** Works off a source's rechecks due by untilMs. */
  const runQueue = (store: ProbeStore, source: string, untilMs: number, nowMs: number): void => {
    const queue = queues.get(source);
    if (!queue) return;
    const { items } = queue;
    while (queue.head < items.length && items[queue.head]!.atMs <= untilMs) {
      const { group, seq, expires } = items[queue.head]!;
      items[queue.head] = undefined;
      queue.head += 1;
      if (group.seq !== seq) continue;
      // Nothing new since the summary that scheduled it: an expiring state is simply gone.
      if (expires) {
        group.seq += 1;
        setState(group, undefined);
      } else summarizeGroup(store, group, nowMs);
    }
    if (queue.head === items.length) queues.delete(source);
    else if (queue.head > 64 && queue.head * 2 > items.length) {
      queue.items = items.slice(queue.head);
      queue.head = 0;
    }
  };

  // DNS: per source node, recomputed when one of its agents sent a batch or after an interval.
  const dnsCache = new Map<string, { agents: AgentProbeRecord[]; versions: number[]; validUntilMs: number; states: DnsState[] }>();
  const dnsOf = (store: ProbeStore, nowMs: number): DnsState[] => {
    const byNode = new Map<string, AgentProbeRecord[]>();
    for (const agent of store.agents()) {
      if (agent.dns.size === 0) continue;
      const list = byNode.get(agent.node);
      if (list) list.push(agent);
      else byNode.set(agent.node, [agent]);
    }
    for (const node of dnsCache.keys()) if (!byNode.has(node)) dnsCache.delete(node);
    const out: DnsState[] = [];
    for (const [node, agents] of byNode) {
      let cached = dnsCache.get(node);
      const same =
        cached !== undefined &&
        cached.agents.length === agents.length &&
        agents.every((a, i) => cached!.agents[i] === a && cached!.versions[i] === a.version);
      if (!cached || !same || nowMs >= cached.validUntilMs || nowMs < cached.validUntilMs - 60_000) {
        const groups = new Map<PathProtocol, { resolver: string; lists: AttemptLog[]; intervalMs: number }>();
        let minIntervalMs = Infinity;
        for (const agent of agents) {
          minIntervalMs = Math.min(minIntervalMs, agent.intervalSeconds * 1000);
          for (const dns of agent.dns.values()) {
            const group = groups.get(dns.protocol);
            if (group) group.lists.push(dns.attempts);
            else groups.set(dns.protocol, { resolver: dns.resolver, lists: [dns.attempts], intervalMs: agent.intervalSeconds * 1000 });
          }
        }
        const states: DnsState[] = [];
        for (const [protocol, group] of groups) {
          const summary = summarize(mergeLogs(group.lists), nowMs, group.intervalMs);
          if (summary) states.push({ source: node, protocol, resolver: group.resolver, ...summary });
        }
        dnsCache.set(node, (cached = { agents, versions: agents.map((a) => a.version), validUntilMs: nowMs + minIntervalMs, states }));
      }
      out.push(...cached.states);
    }
    return out;
  };

  const feed: PathStateFeed = {
    subscribe(listener) {
      listeners.add(listener);
      const store = bound;
      const current = function* (): Iterable<PathState> {
        for (const groups of sources.values()) for (const group of groups.values()) if (group.state) yield group.state;
        if (store) yield* store.healthy.states();
      };
      return { current: current(), unsubscribe: () => void listeners.delete(listener) };
    },
  };

  return {
    touched(store, records, nowMs) {
      bind(store);
      if (records.length > 0) runQueue(store, records[0]!.source, nowMs, nowMs);
      for (const record of records) summarizeGroup(store, groupFor(record), nowMs);
    },

    agentGone(store, node, network, nowMs) {
      bind(store);
      // Its own paths (as a source), and every source's paths toward it.
      for (const group of [...(sources.get(node)?.values() ?? [])]) summarizeGroup(store, group, nowMs);
      for (const groups of sources.values()) {
        for (const protocol of ['udp', 'tcp'] as const) {
          for (const size of ['small', 'large'] as const) {
            const group = groups.get(pathKeyOf(node, network, protocol, size));
            if (group) summarizeGroup(store, group, nowMs);
          }
        }
      }
    },

    nodesChanged(store, nodes, nowMs) {
      bind(store);
      for (const [source, groups] of [...sources]) {
        for (const group of [...groups.values()]) {
          if (nodes.has(source) || group.records.some((r) => nodes.has(r.destination))) summarizeGroup(store, group, nowMs);
        }
      }
    },

    build(store, nowMs) {
      bind(store);
      // Sources that keep sending work off their own rechecks at ingest; here only those that
      // fell behind by an interval (a silent agent, or a quiet test clock).
      const lateMs = (store.maxIntervalSeconds || 5) * 1000;
      // Deleting the current entry while iterating a Map is safe: no copy per pass.
      for (const [source, queue] of queues) {
        if (queue.items[queue.head]!.atMs <= nowMs - lateMs) runQueue(store, source, nowMs, nowMs);
      }
      store.healthy.expire(nowMs, undefined, lateMs);
      for (const group of [...failing]) summarizeGroup(store, group, nowMs);
      const interval = store.maxIntervalSeconds || 5;
      let paths: PathState[] | undefined;
      let failingPaths: PathState[] | undefined;
      let nodeTotals: NodeProbeTotals[] | undefined;
      let dns: DnsState[] | undefined;
      let agents: AgentProbeStats[] | undefined;
      const allPaths = (): PathState[] => {
        if (paths) return paths;
        paths = [];
        for (const groups of sources.values()) for (const group of groups.values()) if (group.state) paths.push(group.state);
        for (const state of store.healthy.copies()) paths.push(state);
        return paths;
      };
      // Everything O(paths) or O(agents) is computed on first read: a detector pass reads only
      // what it needs, and the states it reads are already current.
      return Object.freeze({
        intervalSeconds: interval,
        windowSeconds: windowIntervals * interval,
        get paths() {
          return allPaths();
        },
        get failingPaths() {
          return (failingPaths ??= [...failing].map((g) => g.state!).filter(Boolean));
        },
        get nodeTotals() {
          if (nodeTotals) return nodeTotals;
          nodeTotals = [];
          for (const [node, t] of totals) {
            let any = false;
            for (const network of ['host', 'pod'] as const) {
              for (const protocol of ['udp', 'tcp'] as const) {
                const slot = totalsSlot(network, protocol);
                if (t[slot] === 0 && t[slot + 2] === 0) continue;
                any = true;
                const list = protocol === 'udp' ? rtts[network].get(node) : undefined;
                nodeTotals.push({
                  node,
                  network,
                  protocol,
                  outbound: { attempts: t[slot]!, failures: t[slot + 1]! },
                  inbound: { attempts: t[slot + 2]!, failures: t[slot + 3]! },
                  ...(list?.length ? { rttP50Seconds: list[Math.floor((list.length - 1) / 2)]! } : {}),
                });
              }
            }
            if (!any) totals.delete(node);
          }
          return nodeTotals;
        },
        get dns() {
          return (dns ??= dnsOf(store, nowMs));
        },
        get agents() {
          return (agents ??= [...store.agents()].map((a) => ({
            node: a.node,
            network: a.network,
            lastBatchMs: a.lastBatchMs,
            intervalSeconds: a.intervalSeconds,
            sampleRounds: a.sampleRounds,
            eventLoopDelayP99Seconds: a.eventLoopDelayP99Seconds,
          })));
        },
        feed,
      });
    },
  };
}
