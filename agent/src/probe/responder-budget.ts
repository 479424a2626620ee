// What the probe responder may spend, kept apart for peers and strangers: a flood from
// addresses outside the peer set draws only on the strangers' budget, so it cannot cost a
// peer its replies (false loss) or its TCP connections. Per-source state lives in tables
// bounded by evicting the least recently used entry — never by starting over, which would
// hand every source a fresh budget at once.
import { createTokenBucket, type TokenBucket } from '../../../shared/src/token-bucket.ts';

export interface BudgetLimits {
  /** Answers per second, all sources of this class together. */
  ratePerSecond: number;
  /** Answers per second to one source address. */
  perSourceRatePerSecond: number;
  /** Open TCP connections, in total and per source address. */
  maxConnections: number;
  maxConnectionsPerSource: number;
  /** Source addresses tracked at once (least recently used evicted). */
  maxSources: number;
}

export interface SenderBudget {
  /** Takes one answer from the class's and the source's buckets. */
  allowAnswer(address: string): boolean;
  /** Opens a TCP connection for `address`; returns its release, or undefined when over budget. */
  openConnection(address: string): (() => void) | undefined;
  readonly sources: number;
  readonly connections: number;
}

export function createSenderBudget(limits: BudgetLimits, now?: () => number): SenderBudget {
  const total = createTokenBucket({ ratePerSecond: limits.ratePerSecond, burst: limits.ratePerSecond, now });
  const buckets = new Map<string, TokenBucket>();
  const connectionsBySource = new Map<string, number>();
  let connections = 0;

  const sourceBucket = (address: string): TokenBucket => {
    let bucket = buckets.get(address);
    if (bucket) {
      buckets.delete(address); // re-inserted below: Map order is recency order
    } else {
      if (buckets.size >= limits.maxSources) buckets.delete(buckets.keys().next().value!);
      bucket = createTokenBucket({ ratePerSecond: limits.perSourceRatePerSecond, burst: limits.perSourceRatePerSecond, now });
    }
    buckets.set(address, bucket);
    return bucket;
  };

  return {
    get sources() {
      return buckets.size;
    },
    get connections() {
      return connections;
    },
    // The source's bucket first: a source over its own rate does not drain the shared one.
    allowAnswer: (address) => sourceBucket(address).take() && total.take(),
    openConnection: (address) => {
      const open = connectionsBySource.get(address) ?? 0;
      if (connections >= limits.maxConnections || open >= limits.maxConnectionsPerSource) return undefined;
      connections++;
      connectionsBySource.set(address, open + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        connections--;
        const left = (connectionsBySource.get(address) ?? 1) - 1;
        if (left <= 0) connectionsBySource.delete(address);
        else connectionsBySource.set(address, left);
      };
    },
  };
}
