// Probe batches made while the collector is unreachable: kept in a bounded buffer (by
// batches and by results), oldest dropped first, and sent after the next welcome with
// held_ms set, so the collector dates them correctly. The first drop of an outage is
// logged; every drop is counted.
import type { ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';

export interface BatchBuffer {
  /** Keeps a batch that could not be sent. */
  hold(batch: ProbeBatch): void;
  /** Sends what is held, oldest first, via `send`; stops (keeping the rest) when send fails. */
  flush(send: (batch: ProbeBatch) => boolean): number;
  readonly stats: { held: number; results: number; dropped: number; flushed: number };
}

export interface BatchBufferOptions {
  logger: Logger;
  /** At most this many batches (default 60: 5 minutes at a 5 s interval). */
  maxBatches?: number;
  /** At most this many probe results over all held batches (default 50,000). */
  maxResults?: number;
  /** Monotonic milliseconds. */
  now?: () => number;
}

/** What a held batch costs: its results, path summaries and covered targets. */
const entriesOf = (batch: ProbeBatch): number =>
  batch.results.length + batch.pathSummaries.length + batch.coverage.reduce((n, c) => n + c.targetNodes.length, 0);

export function createBatchBuffer(options: BatchBufferOptions): BatchBuffer {
  const log = options.logger.child({ component: 'batch-buffer' });
  const maxBatches = options.maxBatches ?? 60;
  const maxResults = options.maxResults ?? 50_000;
  const now = options.now ?? (() => performance.now());
  const held: { batch: ProbeBatch; atMs: number }[] = [];
  const stats = { held: 0, results: 0, dropped: 0, flushed: 0 };
  let loggedThisOutage = false;

  const dropOldest = (): void => {
    const oldest = held.shift();
    if (!oldest) return;
    stats.results -= entriesOf(oldest.batch);
    stats.dropped += 1;
    if (!loggedThisOutage) {
      loggedThisOutage = true;
      log.warn(
        { maxBatches, maxResults },
        'collector unreachable and probe batch buffer full: dropping the oldest batches (logged once per outage)',
      );
    }
  };

  return {
    stats,
    hold(batch) {
      held.push({ batch, atMs: now() });
      stats.results += entriesOf(batch);
      while (held.length > maxBatches || (stats.results > maxResults && held.length > 1)) dropOldest();
      stats.held = held.length;
    },
    flush(send) {
      let sent = 0;
      while (held.length > 0) {
        const first = held[0]!;
        first.batch.heldMs = Math.min(0xffffffff, Math.max(0, Math.round(now() - first.atMs)));
        if (!send(first.batch)) break;
        held.shift();
        stats.results -= entriesOf(first.batch);
        sent += 1;
      }
      stats.held = held.length;
      stats.flushed += sent;
      if (sent > 0)
        log.info({ sent, dropped: stats.dropped, left: held.length }, 'sent probe batches held while the collector was unreachable');
      if (held.length === 0) loggedThisOutage = false;
      return sent;
    },
  };
}
