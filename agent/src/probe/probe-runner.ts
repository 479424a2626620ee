// Main-thread side of the prober worker: sends a round, gets plain results back.
// If the worker cannot start (e.g. a runtime without type stripping), rounds run in-process
// instead, with one log line: timing is then less isolated but probing still works.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../../../shared/src/logger.ts';
import { runProbeRound } from './probe-round.ts';
import type { RawResult, RoundRequest } from './probe-types.ts';

export interface ProbeRunner {
  /** Resolves with the round's results; after `signal` aborts, with what finished (promptly). */
  run(request: RoundRequest, signal: AbortSignal): Promise<RawResult[]>;
  readonly mode: 'worker' | 'inline';
  close(): Promise<void>;
}

type WorkerReply = { type: 'result'; id: number; results: RawResult[]; error?: string };

// Sources run as .ts (type stripping); the build emits .js beside it.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './prober-worker.ts' : './prober-worker.js', import.meta.url);
const cancelGraceMs = 500;
// The worker's heap: a round allocates a few MB of short-lived objects (sockets, timers,
// results) and keeps almost nothing, so a small young generation is scavenged sooner instead
// of growing to V8's default (up to 64 MiB resident). Set here so it holds however node was
// started (agent/src/node-flags.ts does the same for the main thread). At 100 peers: −5 MiB
// RSS; 1, 2 or 4 MB measured the same (BENCHMARKS.md, issue 7).
// Its old generation holds Node's bootstrap and the prober's code (~8 MiB live after GC) and
// little else; uncapped, V8 lets it grow well past that before collecting. 16 MiB: the worker
// alone −5 / −14 MiB RSS at 200 / 1,000 targets, the whole agent at 100 peers −3 MiB on
// average (within its noise), no CPU change; rounds of 4,000 targets still fit
// (12 MiB used); 8 MiB runs out (BENCHMARKS.md, "Per-node footprint, third session"). Should
// a round ever need more, the worker ends with ERR_WORKER_OUT_OF_MEMORY and probing falls back
// to the main thread with an error logged (fallBack below), it does not stop.
export const proberWorkerLimits = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 16 } as const;

export function createProbeRunner(options: { logger: Logger; inline?: boolean }): ProbeRunner {
  const log = options.logger.child({ component: 'prober' });
  const waiting = new Map<number, (results: RawResult[]) => void>();
  let nextId = 1;
  let worker: Worker | undefined;

  const fallBack = (err: unknown): void => {
    if (!worker) return;
    worker = undefined;
    log.error({ err }, 'prober worker failed; probing in the main thread from now on');
    for (const resolve of waiting.values()) resolve([]);
    waiting.clear();
  };

  if (!options.inline) {
    worker = new Worker(workerUrl, { resourceLimits: proberWorkerLimits });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      if (reply.error) log.error({ err: reply.error }, 'probe round failed in the worker');
      waiting.get(reply.id)?.(reply.results);
      waiting.delete(reply.id);
    });
    worker.on('error', fallBack);
    worker.on('exit', (code) => fallBack(new Error(`prober worker exited with code ${code}`)));
  }
  log.info({ mode: worker ? 'worker' : 'inline' }, 'prober started');

  return {
    get mode() {
      return worker ? 'worker' : 'inline';
    },
    run: (request, signal) => {
      const current = worker;
      if (!current) return runProbeRound(request, signal);
      const id = nextId++;
      return new Promise<RawResult[]>((resolve) => {
        let grace: NodeJS.Timeout | undefined;
        const onAbort = (): void => {
          current.postMessage({ type: 'cancel', id });
          grace = setTimeout(() => done([]), cancelGraceMs);
        };
        const done = (results: RawResult[]): void => {
          clearTimeout(grace);
          signal.removeEventListener('abort', onAbort);
          waiting.delete(id);
          resolve(results);
        };
        waiting.set(id, done);
        current.postMessage({ type: 'round', id, request });
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      });
    },
    close: async () => {
      const current = worker;
      worker = undefined;
      for (const resolve of waiting.values()) resolve([]);
      waiting.clear();
      if (current) {
        current.removeAllListeners('exit');
        await current.terminate();
      }
    },
  };
}
