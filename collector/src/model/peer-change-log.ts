// Which peers changed in which membership generation, for the last few thousand changes:
// what a delta peer set is computed from. Bounded: once more than maxEntries changes are
// kept, the oldest generations are dropped, and a stream whose base is older gets a full set.
import type { AgentNetwork } from './agent-network.ts';

export interface PeerChange {
  node: string;
  network: AgentNetwork;
}

export interface PeerChangeLog {
  /** Records that these peers changed (appeared, changed or vanished) in `generation`; generations only increase. */
  record(generation: bigint, changes: readonly PeerChange[]): void;
  /**
   * The distinct peers changed after `base` (base excluded) up to the latest recorded
   * generation; undefined when changes after `base` are no longer all kept, or base is in
   * the future.
   */
  changedSince(base: bigint): PeerChange[] | undefined;
  /** The oldest base generation a delta can still be computed from. */
  readonly oldestBase: bigint;
  readonly size: number;
}

interface Entry extends PeerChange {
  generation: bigint;
}

export function createPeerChangeLog(options: { maxEntries: () => number }): PeerChangeLog {
  let entries: Entry[] = [];
  // entries[head…] are live; dropping from the front only moves head (compacted now and then).
  let head = 0;
  let latest = 0n;
  let oldestBase = 0n;

  const trim = (): void => {
    const max = Math.max(1, options.maxEntries());
    while (entries.length - head > max) {
      // Everything up to and including this generation is no longer known completely.
      oldestBase = entries[head]!.generation;
      head += 1;
    }
    if (head > 1024 && head * 2 > entries.length) {
      entries = entries.slice(head);
      head = 0;
    }
  };

  /** Index of the first live entry with generation > base (entries are sorted by generation). */
  const firstAfter = (base: bigint): number => {
    let lo = head;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid]!.generation <= base) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return {
    record(generation, changes) {
      if (generation < latest) throw new Error(`peer change log: generation ${generation} after ${latest}`);
      latest = generation;
      for (const change of changes) entries.push({ generation, node: change.node, network: change.network });
      trim();
    },
    changedSince(base) {
      if (base < oldestBase || base > latest) return undefined;
      const seen = new Set<string>();
      const changed: PeerChange[] = [];
      for (let i = firstAfter(base); i < entries.length; i++) {
        const entry = entries[i]!;
        const key = `${entry.network}|${entry.node}`;
        if (seen.has(key)) continue;
        seen.add(key);
        changed.push({ node: entry.node, network: entry.network });
      }
      return changed;
    },
    get oldestBase() {
      return oldestBase;
    },
    get size() {
      return entries.length - head;
    },
  };
}
