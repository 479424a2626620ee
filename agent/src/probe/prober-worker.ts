// The prober worker thread: owns the probe sockets and timing, so RTT is measured on a
// loop that does nothing else. Messages: {type:'round', id, request} → {type:'result', id, results};
// {type:'cancel', id} aborts that round (its result then arrives with what finished).
// Runs under Node 24 type stripping: erasable TypeScript only.
import { parentPort } from 'node:worker_threads';
import { runProbeRound } from './probe-round.ts';
import type { RoundRequest } from './probe-types.ts';

export type WorkerCommand = { type: 'round'; id: number; request: RoundRequest } | { type: 'cancel'; id: number };

if (!parentPort) throw new Error('prober-worker must run as a worker thread');
const port = parentPort;
const rounds = new Map<number, AbortController>();

port.on('message', (command: WorkerCommand) => {
  if (command.type === 'cancel') {
    rounds.get(command.id)?.abort();
    return;
  }
  const controller = new AbortController();
  rounds.set(command.id, controller);
  runProbeRound(command.request, controller.signal)
    .then(
      (results) => port.postMessage({ type: 'result', id: command.id, results }),
      (err: unknown) => port.postMessage({ type: 'result', id: command.id, results: [], error: String(err) }),
    )
    .finally(() => rounds.delete(command.id));
});
