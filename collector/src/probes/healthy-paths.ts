// The probe book's compact tier: a path whose recent attempts all came back keeps no attempt
// log, only its state (updated in place on every visit) and what the next visit needs: the
// run of answered attempts, the newest and the previous visit (time, count, RTT, size). Most
// of a healthy mesh is here — ~k new paths per source per round with a sampled mesh — so a
// coverage name costs a map lookup and a few stores, not an attempt log, a re-summary and a
// new state object. A path with a lost probe moves to the attempt logs (take), and back here
// once its window holds no failure (adopt). Staleness: one queue entry per source and batch.
import type { AgentNetwork } from '../model/agent-network.ts';
import { latestCount, sampledStaleIntervals, staleIntervals, windowIntervals } from './path-state.ts';
import type { PathState } from './probe-view.ts';
import type { PathProtocol, SizeClass } from './probe-store.ts';

/** A compact path: its state (what readers see) and its last two visits. */
export interface HealthyEntry {
  state: PathState;
  readonly key: string;
  okRun: number;
  newestCount: number;
  newestRtt: number;
  newestRttMax: number;
  newestSize: number;
  previousMs: number;
  previousCount: number;
  previousRtt: number;
  previousRttMax: number;
  previousSize: number;
  intervalMs: number;
  live: boolean;
}

/** How the view hears about compact states: a state replaced (or added/removed), or changed in place. */
export interface HealthyListener {
  change(previous: PathState | undefined, next: PathState | undefined): void;
  /** Called before and after an in-place update, so sums over the states stay exact. */
  retract(state: PathState): void;
  restore(state: PathState): void;
}

export interface HealthyVisit {
  readonly source: string;
  readonly destination: string;
  readonly key: string;
  readonly network: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly size: SizeClass;
}

interface Expiry {
  readonly atMs: number;
  readonly newestMs: number;
  readonly entries: HealthyEntry[];
}

export interface HealthyPaths {
  get(source: string, key: string): HealthyEntry | undefined;
  /** An all-answered visit of `count` attempts at atMs (the caller checked the path has no attempt log). */
  visit(
    path: HealthyVisit,
    atMs: number,
    count: number,
    rtt: number,
    rttMax: number,
    sizeBytes: number,
    intervalMs: number,
    sampled: boolean,
  ): void;
  /** Ends a source's batch: schedules its visited paths' staleness. */
  flush(source: string, atMs: number, intervalMs: number, sampled: boolean): void;
  /** Moves a path out (a loss arrived): the entry, for seeding its attempt log. */
  take(source: string, key: string): HealthyEntry | undefined;
  /** Moves a path in from its attempt log; returns its state. The caller tells listeners (it replaces a state of its own). */
  adopt(entry: Omit<HealthyEntry, 'live'>, source: string): PathState;
  /** Drops paths matching `drop` (from, to); `sources` limits the scan when given. */
  drop(drop: (state: PathState) => boolean, sources?: Iterable<string>): void;
  /** Drops states gone stale by untilMs (one source, or all); with lateMs, only sources whose oldest due entry is that late. */
  expire(untilMs: number, source?: string, lateMs?: number): void;
  states(): Iterable<PathState>;
  listen(listener: HealthyListener): void;
  readonly size: number;
}

const judgedOf = (sampled: boolean, newestCount: number): number => (sampled ? Math.min(latestCount, newestCount) : latestCount);
const maxRun = 32;

export function createHealthyPaths(): HealthyPaths {
  const bySource = new Map<string, Map<string, HealthyEntry>>();
  const queues = new Map<string, { items: (Expiry | undefined)[]; head: number }>();
  const batch = new Map<string, HealthyEntry[]>();
  let size = 0;
  const quiet: HealthyListener = { change: () => undefined, retract: () => undefined, restore: () => undefined };
  let listener = quiet;

  /** The state's window fields from the entry's visits (same rules as summarize over an all-answered log). */
  const fill = (e: HealthyEntry, state: PathState): void => {
    const withPrevious = e.previousCount > 0 && e.previousMs > state.newestMs - windowIntervals * e.intervalMs;
    const judged = judgedOf(state.sampled, e.newestCount);
    const inWindow = e.newestCount + (withPrevious ? e.previousCount : 0);
    state.attempts = Math.max(inWindow, Math.min(e.okRun, judged));
    const counted = withPrevious || state.attempts > e.newestCount;
    state.rttP50Seconds = counted ? Math.min(e.newestRtt, e.previousRtt) : e.newestRtt;
    state.rttP95Seconds = counted ? Math.max(e.newestRttMax, e.previousRttMax) : e.newestRttMax;
    state.okSizeBytes = counted ? Math.max(e.newestSize, e.previousSize) : e.newestSize;
  };

  const remove = (sourceMap: Map<string, HealthyEntry>, source: string, e: HealthyEntry): void => {
    sourceMap.delete(e.key);
    if (sourceMap.size === 0) bySource.delete(source);
    e.live = false;
    size -= 1;
  };

  const paths: HealthyPaths = {
    get: (source, key) => bySource.get(source)?.get(key),

    visit(path, atMs, count, rtt, rttMax, sizeBytes, intervalMs, sampled) {
      let map = bySource.get(path.source);
      if (!map) bySource.set(path.source, (map = new Map()));
      let e = map.get(path.key);
      if (!e) {
        const state = {
          source: path.source,
          destination: path.destination,
          network: path.network,
          protocol: path.protocol,
          size: path.size,
          attempts: count,
          failures: 0,
          lossRatio: 0,
          rttP50Seconds: rtt,
          rttP95Seconds: rttMax,
          failing: false,
          healthy: count >= judgedOf(sampled, count),
          newestMs: atMs,
          failingSinceMs: 0,
          sampled,
          okSizeBytes: sizeBytes,
          failedSizeBytes: 0,
        } satisfies PathState;
        e = {
          state,
          key: path.key,
          okRun: Math.min(maxRun, count),
          newestCount: count,
          newestRtt: rtt,
          newestRttMax: rttMax,
          newestSize: sizeBytes,
          previousMs: 0,
          previousCount: 0,
          previousRtt: rtt,
          previousRttMax: rttMax,
          previousSize: sizeBytes,
          intervalMs,
          live: true,
        };
        map.set(path.key, e);
        size += 1;
        fill(e, state);
        listener.change(undefined, state);
      } else {
        const state = e.state;
        listener.retract(state);
        if (state.newestMs === atMs) {
          // A second report of the same batch (the host and pod agent both probe pod paths).
          e.newestCount += count;
          e.newestRtt = Math.min(e.newestRtt, rtt);
          e.newestRttMax = Math.max(e.newestRttMax, rttMax);
          e.newestSize = Math.max(e.newestSize, sizeBytes);
        } else {
          e.previousMs = state.newestMs;
          e.previousCount = e.newestCount;
          e.previousRtt = e.newestRtt;
          e.previousRttMax = e.newestRttMax;
          e.previousSize = e.newestSize;
          e.newestCount = count;
          e.newestRtt = rtt;
          e.newestRttMax = rttMax;
          e.newestSize = sizeBytes;
          state.newestMs = atMs;
        }
        e.okRun = Math.min(maxRun, e.okRun + count);
        e.intervalMs = intervalMs;
        state.sampled = sampled;
        fill(e, state);
        const healthy = e.okRun >= judgedOf(sampled, e.newestCount);
        if (healthy !== state.healthy) {
          // A verdict change is a new state: listeners compare the old one with the new.
          listener.restore(state);
          const next = { ...state, healthy };
          e.state = next;
          listener.change(state, next);
        } else listener.restore(state);
      }
      let list = batch.get(path.source);
      if (!list) batch.set(path.source, (list = []));
      list.push(e);
    },

    flush(source, atMs, intervalMs, sampled) {
      const entries = batch.get(source);
      if (!entries) return;
      batch.delete(source);
      let queue = queues.get(source);
      if (!queue) queues.set(source, (queue = { items: [], head: 0 }));
      queue.items.push({ atMs: atMs + (sampled ? sampledStaleIntervals : staleIntervals) * intervalMs, newestMs: atMs, entries });
    },

    take(source, key) {
      const map = bySource.get(source);
      const e = map?.get(key);
      if (!map || !e) return undefined;
      remove(map, source, e);
      listener.change(e.state, undefined);
      return e;
    },

    adopt(entry, source) {
      let map = bySource.get(source);
      if (!map) bySource.set(source, (map = new Map()));
      const old = map.get(entry.key);
      if (old) {
        remove(map, source, old);
        listener.change(old.state, undefined);
      }
      const e: HealthyEntry = { ...entry, live: true };
      map.set(e.key, e);
      size += 1;
      let queue = queues.get(source);
      if (!queue) queues.set(source, (queue = { items: [], head: 0 }));
      const { newestMs, sampled } = e.state;
      queue.items.push({ atMs: newestMs + (sampled ? sampledStaleIntervals : staleIntervals) * e.intervalMs, newestMs, entries: [e] });
      return e.state;
    },

    drop(shouldDrop, sources) {
      for (const source of sources ? [...sources] : [...bySource.keys()]) {
        const map = bySource.get(source);
        if (!map) continue;
        for (const e of [...map.values()]) {
          if (!shouldDrop(e.state)) continue;
          remove(map, source, e);
          listener.change(e.state, undefined);
        }
      }
    },

    expire(untilMs, only, lateMs = 0) {
      // Deleting the current entry while iterating a Map is safe: no copy per pass.
      for (const [source, queue] of only === undefined ? queues : [[only, queues.get(only)] as const]) {
        if (!queue) continue;
        const { items } = queue;
        if (items[queue.head]!.atMs > untilMs - lateMs) continue;
        while (queue.head < items.length && items[queue.head]!.atMs <= untilMs) {
          const { newestMs, entries } = items[queue.head]!;
          items[queue.head] = undefined;
          queue.head += 1;
          const map = bySource.get(source);
          for (const e of entries) {
            // Visited again since (its own later entry expires it), or already moved out.
            if (!e.live || e.state.newestMs !== newestMs || !map) continue;
            remove(map, source, e);
            listener.change(e.state, undefined);
          }
        }
        if (queue.head === items.length) queues.delete(source);
        else if (queue.head > 64 && queue.head * 2 > items.length) {
          queue.items = items.slice(queue.head);
          queue.head = 0;
        }
      }
    },

    *states() {
      for (const map of bySource.values()) for (const e of map.values()) yield e.state;
    },

    listen(next) {
      listener = next;
    },

    get size() {
      return size;
    },
  };
  return paths;
}
