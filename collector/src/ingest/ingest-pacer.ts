// Bounds how much agent input one event-loop turn folds in. When the collector is behind,
// every agent socket is readable at once and one poll phase would fold the whole backlog
// (seconds to minutes at thousands of agents) while the collector's timers (findings passes,
// peer-set waves, /metrics) wait. Past the turn's budget, a stream that delivered a message is
// paused (HTTP/2 flow control then holds its agent's next messages on the agent's side) and
// resumed on the next turn, so timers run between turns and no stream is skipped for long.
export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export interface IngestPacer {
  /** Runs `fold` for a message from `stream`, counting its time against this turn's budget. */
  run(stream: Pausable, fold: () => void): void;
  /** Streams paused until the next turn. */
  readonly held: number;
}

export interface IngestPacerOptions {
  /** Milliseconds of folding per event-loop turn before streams are paused (0 = no pacing). */
  turnBudgetMs: number;
  now?: () => number;
  /** Schedules the end of this turn (default setImmediate: after this turn's I/O, before the next turn's timers). */
  nextTurn?: (release: () => void) => void;
}

export function createIngestPacer(options: IngestPacerOptions): IngestPacer {
  const now = options.now ?? (() => performance.now());
  const nextTurn = options.nextTurn ?? ((release: () => void) => void setImmediate(release));
  const held = new Set<Pausable>();
  let used = 0;
  let scheduled = false;
  const release = (): void => {
    scheduled = false;
    used = 0;
    const streams = [...held];
    held.clear();
    for (const stream of streams) stream.resume();
  };
  return {
    run(stream, fold) {
      if (options.turnBudgetMs <= 0) return fold();
      const started = now();
      try {
        fold();
      } finally {
        used += now() - started;
        if (used > options.turnBudgetMs && !held.has(stream)) {
          stream.pause();
          held.add(stream);
          if (!scheduled) {
            scheduled = true;
            nextTurn(release);
          }
        }
      }
    },
    get held() {
      return held.size;
    },
  };
}
