// The probe book's compact tier: a path whose recent attempts all came back keeps no attempt
// log, only what its state and the next visit need — the run of answered attempts and its
// newest and previous visit (time, count, RTT, size) — in typed arrays, one slot per path.
// Its state object is two fields (slot, verdict) read through getters. Most of a healthy
// mesh lives here (~k new paths per source per round with a sampled mesh), so a coverage name
// costs a map lookup and a few stores, not an attempt log, a re-summary and a new object. A
// path with a lost probe moves to the attempt logs (take); back here once its window holds
// no failure (adopt). Staleness: one queue entry per source and batch.
// Approximation, on purpose: RTT quantiles are over the last two visits (min of the medians,
// max of the maxima), not over every attempt of the window.
import type { AgentNetwork } from '../model/agent-network.ts';
import { latestCount, sampledStaleIntervals, staleIntervals, windowIntervals } from './path-state.ts';
import type { PathState } from './probe-view.ts';
import type { PathProtocol, SizeClass } from './probe-store.ts';

/** What a compact path keeps besides its current state: its verdict-free history. */
export interface HealthyHistory {
  readonly okRun: number;
  readonly newestMs: number;
  readonly newestCount: number;
  readonly newestRtt: number;
  readonly newestRttMax: number;
  readonly newestSize: number;
  readonly previousMs: number;
  readonly previousCount: number;
  readonly previousRtt: number;
  readonly previousRttMax: number;
  readonly previousSize: number;
  readonly intervalMs: number;
  readonly sampled: boolean;
}

/** How the view hears about compact states: a state replaced (or added/removed), or changed in place. */
export interface HealthyListener {
  /** `key`: the path's key within its source (given when a path is added). */
  change(previous: PathState | undefined, next: PathState | undefined, key?: string): void;
  /** Called before and after an in-place update, so sums over the states stay exact. */
  retract(state: PathState): void;
  restore(state: PathState): void;
}

export interface HealthyPath {
  readonly source: string;
  readonly destination: string;
  readonly key: string;
  readonly network: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly size: SizeClass;
}

export interface HealthyPaths {
  has(source: string, key: string): boolean;
  /** An all-answered visit of `count` attempts at atMs (the caller checked the path has no attempt log). */
  visit(
    path: HealthyPath,
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
  /** Moves a path out (a loss arrived): its history, for seeding its attempt log. */
  take(source: string, key: string): HealthyHistory | undefined;
  /** Moves a path in from its attempt log; returns its state. The caller tells listeners (it replaces a state of its own). */
  adopt(path: HealthyPath, history: HealthyHistory): PathState;
  /** Drops paths matching `drop`; `sources` limits the scan when given. */
  drop(drop: (state: PathState) => boolean, sources?: Iterable<string>): void;
  /** Drops states gone stale by untilMs (one source, or all); with lateMs, only sources whose oldest due entry is that late. */
  expire(untilMs: number, source?: string, lateMs?: number): void;
  /** The live states (read through to the slots). */
  states(): Iterable<PathState>;
  /** Plain copies, for readers that keep or serialize them. */
  copies(): PathState[];
  listen(listener: HealthyListener): void;
  readonly size: number;
}

const judgedOf = (sampled: boolean, newestCount: number): number => (sampled ? Math.min(latestCount, newestCount) : latestCount);
const maxRun = 32;
const kindCodes: readonly { network: AgentNetwork; protocol: PathProtocol; size: SizeClass }[] = (['host', 'pod'] as const).flatMap(
  (network) => (['udp', 'tcp'] as const).flatMap((protocol) => (['small', 'large'] as const).map((size) => ({ network, protocol, size }))),
);
const kindOf = (network: AgentNetwork, protocol: PathProtocol, size: SizeClass): number =>
  (network === 'host' ? 0 : 4) + (protocol === 'tcp' ? 2 : 0) + (size === 'large' ? 1 : 0);

export function createHealthyPaths(): HealthyPaths {
  let capacity = 1024;
  let newestMs = new Float64Array(capacity);
  let previousMs = new Float64Array(capacity);
  let rtts = new Float64Array(capacity * 4); // newest, newest max, previous, previous max
  let counts = new Uint8Array(capacity * 3); // okRun, newest, previous
  let sizes = new Uint32Array(capacity * 2); // newest, previous
  let intervals = new Uint32Array(capacity);
  let kinds = new Uint8Array(capacity); // kind code | 16 when sampled
  let generations = new Int32Array(capacity);
  const sourceOf: (string | undefined)[] = [];
  const destinationOf: (string | undefined)[] = [];
  const keyOf: (string | undefined)[] = [];
  const stateOf: (CompactState | undefined)[] = [];
  // Per slot, one state object per verdict, made once and reused by whatever path takes the
  // slot next: a state lives as long as its path (1.5 intervals at scale), long enough to be
  // promoted by the GC, so a new object per path was old-space garbage.
  const healthyStates: (CompactState | undefined)[] = [];
  const unhealthyStates: (CompactState | undefined)[] = [];
  const free: number[] = [];
  let used = 0;
  let size = 0;

  const grow = (): void => {
    capacity *= 2;
    const widen = <T extends Float64Array | Uint8Array | Uint32Array | Int32Array>(old: T, make: new (n: number) => T, per = 1): T => {
      const next = new make(capacity * per);
      next.set(old);
      return next;
    };
    newestMs = widen(newestMs, Float64Array);
    previousMs = widen(previousMs, Float64Array);
    rtts = widen(rtts, Float64Array, 4);
    counts = widen(counts, Uint8Array, 3);
    sizes = widen(sizes, Uint32Array, 2);
    intervals = widen(intervals, Uint32Array);
    kinds = widen(kinds, Uint8Array);
    generations = widen(generations, Int32Array);
  };

  const sampledAt = (slot: number): boolean => (kinds[slot]! & 16) !== 0;
  const withPrevious = (slot: number): boolean =>
    counts[slot * 3 + 2]! > 0 && previousMs[slot]! > newestMs[slot]! - windowIntervals * intervals[slot]!;
  const attemptsAt = (slot: number): number => {
    const newest = counts[slot * 3 + 1]!;
    const inWindow = newest + (withPrevious(slot) ? counts[slot * 3 + 2]! : 0);
    return Math.max(inWindow, Math.min(counts[slot * 3]!, judgedOf(sampledAt(slot), newest)));
  };
  /** True when the window reaches back to the previous visit (then quantiles cover both). */
  const spans = (slot: number): boolean => withPrevious(slot) || attemptsAt(slot) > counts[slot * 3 + 1]!;
  const healthyAt = (slot: number): boolean => counts[slot * 3]! >= judgedOf(sampledAt(slot), counts[slot * 3 + 1]!);

  // A state is a slot and the verdict it was made with; a verdict change makes a new state (listeners compare old and new).
  class CompactState implements PathState {
    // Constants on the prototype: an instance is the two fields below.
    get failures(): number {
      return 0;
    }
    get lossRatio(): number {
      return 0;
    }
    get failing(): boolean {
      return false;
    }
    get failingSinceMs(): number {
      return 0;
    }
    get failedSizeBytes(): number {
      return 0;
    }
    readonly slot: number;
    readonly healthy: boolean;
    constructor(slot: number, healthy: boolean) {
      this.slot = slot;
      this.healthy = healthy;
    }
    get source(): string {
      return sourceOf[this.slot]!;
    }
    get destination(): string {
      return destinationOf[this.slot]!;
    }
    get network(): AgentNetwork {
      return kindCodes[kinds[this.slot]! & 7]!.network;
    }
    get protocol(): PathProtocol {
      return kindCodes[kinds[this.slot]! & 7]!.protocol;
    }
    get size(): SizeClass {
      return kindCodes[kinds[this.slot]! & 7]!.size;
    }
    get attempts(): number {
      return attemptsAt(this.slot);
    }
    get rttP50Seconds(): number {
      const s = this.slot;
      return spans(s) ? Math.min(rtts[s * 4]!, rtts[s * 4 + 2]!) : rtts[s * 4]!;
    }
    get rttP95Seconds(): number {
      const s = this.slot;
      return spans(s) ? Math.max(rtts[s * 4 + 1]!, rtts[s * 4 + 3]!) : rtts[s * 4 + 1]!;
    }
    get newestMs(): number {
      return newestMs[this.slot]!;
    }
    get sampled(): boolean {
      return sampledAt(this.slot);
    }
    get okSizeBytes(): number {
      const s = this.slot;
      return spans(s) ? Math.max(sizes[s * 2]!, sizes[s * 2 + 1]!) : sizes[s * 2]!;
    }
  }

  const stateAt = (slot: number, healthy: boolean): CompactState => {
    const pool = healthy ? healthyStates : unhealthyStates;
    return (pool[slot] ??= new CompactState(slot, healthy));
  };

  const copyOf = (s: CompactState): PathState => ({
    attempts: s.attempts,
    failures: 0,
    lossRatio: 0,
    rttP50Seconds: s.rttP50Seconds,
    rttP95Seconds: s.rttP95Seconds,
    failing: false,
    healthy: s.healthy,
    newestMs: s.newestMs,
    failingSinceMs: 0,
    sampled: s.sampled,
    okSizeBytes: s.okSizeBytes,
    failedSizeBytes: 0,
    source: s.source,
    destination: s.destination,
    network: s.network,
    protocol: s.protocol,
    size: s.size,
  });

  const bySource = new Map<string, Map<string, number>>();
  /** Per source and batch, roughly in time order: when its visits go stale, and the slots visited (slot, generation pairs). */
  interface Expiry {
    readonly atMs: number;
    readonly visitMs: number;
    readonly slots: Int32Array;
  }
  const queues = new Map<string, { items: (Expiry | undefined)[]; head: number }>();
  const batch = new Map<string, number[]>();
  const quiet: HealthyListener = { change: () => undefined, retract: () => undefined, restore: () => undefined };
  let listener = quiet;
  const current: { source: string | undefined; paths: Map<string, number> | undefined; visits: number[] | undefined } = {
    source: undefined,
    paths: undefined,
    visits: undefined,
  };

  const allocate = (path: HealthyPath, sampled: boolean): number => {
    let slot = free.pop();
    if (slot === undefined) {
      if (used === capacity) grow();
      slot = used++;
    }
    sourceOf[slot] = path.source;
    destinationOf[slot] = path.destination;
    keyOf[slot] = path.key;
    kinds[slot] = kindOf(path.network, path.protocol, path.size) | (sampled ? 16 : 0);
    let map = bySource.get(path.source);
    if (!map) {
      bySource.set(path.source, (map = new Map()));
      if (current.source === path.source) current.paths = map;
    }
    map.set(path.key, slot);
    size += 1;
    return slot;
  };

  /** Frees a slot after its listeners heard of it (they read the state's fields while told). */
  const release = (slot: number): void => {
    const source = sourceOf[slot]!;
    const map = bySource.get(source);
    map?.delete(keyOf[slot]!);
    if (map?.size === 0) {
      bySource.delete(source);
      if (current.paths === map) current.paths = undefined;
    }
    const state = stateOf[slot]!;
    listener.change(state, undefined);
    sourceOf[slot] = destinationOf[slot] = keyOf[slot] = undefined;
    stateOf[slot] = undefined;
    generations[slot] = (generations[slot]! + 1) | 0;
    free.push(slot);
    size -= 1;
  };

  const schedule = (source: string, entry: Expiry): void => {
    let queue = queues.get(source);
    if (!queue) queues.set(source, (queue = { items: [], head: 0 }));
    queue.items.push(entry);
  };
  const staleAfter = (sampled: boolean, intervalMs: number): number => (sampled ? sampledStaleIntervals : staleIntervals) * intervalMs;

  const paths: HealthyPaths = {
    has: (source, key) => bySource.get(source)?.has(key) === true,

    visit(path, atMs, count, rtt, rttMax, sizeBytes, intervalMs, sampled) {
      // A batch visits many paths of one source: its map and visit list are looked up once.
      if (path.source !== current.source) {
        current.source = path.source;
        current.paths = bySource.get(path.source);
        current.visits = batch.get(path.source);
      }
      let slot = current.paths?.get(path.key);
      if (slot === undefined) {
        slot = allocate(path, sampled);
        newestMs[slot] = atMs;
        previousMs[slot] = 0;
        // Element stores, not .set([...]): no array per visit.
        rtts[slot * 4] = rtt;
        rtts[slot * 4 + 1] = rttMax;
        rtts[slot * 4 + 2] = rtt;
        rtts[slot * 4 + 3] = rttMax;
        counts[slot * 3] = Math.min(maxRun, count);
        counts[slot * 3 + 1] = Math.min(255, count);
        counts[slot * 3 + 2] = 0;
        sizes[slot * 2] = sizeBytes;
        sizes[slot * 2 + 1] = sizeBytes;
        intervals[slot] = intervalMs;
        const state = stateAt(slot, healthyAt(slot));
        stateOf[slot] = state;
        listener.change(undefined, state, path.key);
      } else {
        const state = stateOf[slot]!;
        listener.retract(state);
        if (newestMs[slot] === atMs) {
          // A second report of the same batch (the host and pod agent both probe pod paths).
          counts[slot * 3 + 1] = Math.min(255, counts[slot * 3 + 1]! + count);
          rtts[slot * 4] = Math.min(rtts[slot * 4]!, rtt);
          rtts[slot * 4 + 1] = Math.max(rtts[slot * 4 + 1]!, rttMax);
          sizes[slot * 2] = Math.max(sizes[slot * 2]!, sizeBytes);
        } else {
          previousMs[slot] = newestMs[slot]!;
          counts[slot * 3 + 2] = counts[slot * 3 + 1]!;
          rtts[slot * 4 + 2] = rtts[slot * 4]!;
          rtts[slot * 4 + 3] = rtts[slot * 4 + 1]!;
          sizes[slot * 2 + 1] = sizes[slot * 2]!;
          newestMs[slot] = atMs;
          counts[slot * 3 + 1] = Math.min(255, count);
          rtts[slot * 4] = rtt;
          rtts[slot * 4 + 1] = rttMax;
          sizes[slot * 2] = sizeBytes;
        }
        counts[slot * 3] = Math.min(maxRun, counts[slot * 3]! + count);
        intervals[slot] = intervalMs;
        kinds[slot] = (kinds[slot]! & 15) | (sampled ? 16 : 0);
        listener.restore(state);
        const healthy = healthyAt(slot);
        if (healthy !== state.healthy) {
          const next = stateAt(slot, healthy);
          stateOf[slot] = next;
          listener.change(state, next);
        }
      }
      let list = current.visits;
      if (!list) batch.set(path.source, (list = current.visits = []));
      list.push(slot, generations[slot]!);
    },

    flush(source, atMs, intervalMs, sampled) {
      const slots = batch.get(source);
      if (!slots) return;
      batch.delete(source);
      if (current.source === source) current.visits = undefined;
      schedule(source, { atMs: atMs + staleAfter(sampled, intervalMs), visitMs: atMs, slots: Int32Array.from(slots) });
    },

    take(source, key) {
      const slot = bySource.get(source)?.get(key);
      if (slot === undefined) return undefined;
      const history: HealthyHistory = {
        okRun: counts[slot * 3]!,
        newestMs: newestMs[slot]!,
        newestCount: counts[slot * 3 + 1]!,
        newestRtt: rtts[slot * 4]!,
        newestRttMax: rtts[slot * 4 + 1]!,
        newestSize: sizes[slot * 2]!,
        previousMs: previousMs[slot]!,
        previousCount: counts[slot * 3 + 2]!,
        previousRtt: rtts[slot * 4 + 2]!,
        previousRttMax: rtts[slot * 4 + 3]!,
        previousSize: sizes[slot * 2 + 1]!,
        intervalMs: intervals[slot]!,
        sampled: sampledAt(slot),
      };
      release(slot);
      return history;
    },

    adopt(path, h) {
      const old = bySource.get(path.source)?.get(path.key);
      if (old !== undefined) release(old);
      const slot = allocate(path, h.sampled);
      newestMs[slot] = h.newestMs;
      previousMs[slot] = h.previousMs;
      rtts[slot * 4] = h.newestRtt;
      rtts[slot * 4 + 1] = h.newestRttMax;
      rtts[slot * 4 + 2] = h.previousRtt;
      rtts[slot * 4 + 3] = h.previousRttMax;
      counts[slot * 3] = Math.min(maxRun, h.okRun);
      counts[slot * 3 + 1] = Math.min(255, h.newestCount);
      counts[slot * 3 + 2] = Math.min(255, h.previousCount);
      sizes[slot * 2] = h.newestSize;
      sizes[slot * 2 + 1] = h.previousSize;
      intervals[slot] = h.intervalMs;
      const state = stateAt(slot, healthyAt(slot));
      stateOf[slot] = state;
      schedule(path.source, {
        atMs: h.newestMs + staleAfter(h.sampled, h.intervalMs),
        visitMs: h.newestMs,
        slots: Int32Array.of(slot, generations[slot]!),
      });
      return state;
    },

    drop(shouldDrop, sources) {
      for (const source of sources ? [...sources] : [...bySource.keys()]) {
        const map = bySource.get(source);
        if (!map) continue;
        for (const slot of [...map.values()]) if (shouldDrop(stateOf[slot]!)) release(slot);
      }
    },

    expire(untilMs, only, lateMs = 0) {
      // Deleting the current entry while iterating a Map is safe: no copy per pass.
      for (const [source, queue] of only === undefined ? queues : [[only, queues.get(only)] as const]) {
        if (!queue) continue;
        const { items } = queue;
        if (items[queue.head]!.atMs > untilMs - lateMs) continue;
        while (queue.head < items.length && items[queue.head]!.atMs <= untilMs) {
          const { visitMs, slots } = items[queue.head]!;
          items[queue.head] = undefined;
          queue.head += 1;
          for (let i = 0; i < slots.length; i += 2) {
            const slot = slots[i]!;
            // Moved out or reused since, or visited again (its own later entry expires it).
            if (generations[slot] !== slots[i + 1] || newestMs[slot] !== visitMs) continue;
            release(slot);
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
      for (const map of bySource.values()) for (const slot of map.values()) yield stateOf[slot]!;
    },

    copies() {
      const out: PathState[] = [];
      for (const map of bySource.values()) for (const slot of map.values()) out.push(copyOf(stateOf[slot]!));
      return out;
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
