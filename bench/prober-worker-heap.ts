// The prober worker's own memory and CPU, for A/B comparisons of its heap limits that a
// whole-agent run cannot resolve: the built worker (dist/agent/src/probe/prober-worker.js,
// `npx tsc -p tsconfig.build.json` first) started as the agent starts it, with the given
// resourceLimits, running --rounds rounds every --interval-ms against 200 responders in a
// child process on 127.0.0.1 (as bench/agent-peers.ts's 100 peers × 2 networks). Prints this
// process's RSS (anonymous and file-backed), the worker's heap statistics and the CPU of the
// worker thread over the rounds. Run it with the agent's node flags for a like-for-like main
// thread: node --max-semi-space-size=1 bench/prober-worker-heap.ts ...
// Usage: node --max-semi-space-size=1 bench/prober-worker-heap.ts [--young MB] [--old MB] [--code MB]
//   [--rounds 16] [--interval-ms 5000] [--targets 200] [--inline] [--no-warmup] [--dist DIR] [--source]
//   --inline runs the rounds on the main thread (--prober-thread main) instead of a worker.
import { fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { serveLocalResponders } from './local-responders.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const root = new URL('..', import.meta.url);
// --dist DIR: a build to measure instead of this checkout's dist/ (e.g. a copy with another probe ladder).
const dist = arg('dist') ? new URL(`file://${arg('dist')!.replace(/\/?$/, '/')}`) : new URL('dist/', root);
// --source: the worker from agent/src (type stripping in the worker, as the lab harness runs the agent).
const source = process.argv.includes('--source');

if (process.argv.includes('--responders')) {
  await serveLocalResponders(fileURLToPath(root));
} else {
  const rounds = Number(arg('rounds') ?? 16);
  const intervalMs = Number(arg('interval-ms') ?? 5000);
  const inline = process.argv.includes('--inline');
  const limits: ResourceLimits = {};
  if (arg('young')) limits.maxYoungGenerationSizeMb = Number(arg('young'));
  if (arg('old')) limits.maxOldGenerationSizeMb = Number(arg('old'));
  if (arg('code')) limits.codeRangeSizeMb = Number(arg('code'));
  const child = fork(process.argv[1]!, ['--responders'], { execArgv: [] });
  const status = (): string => readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status())?.[1] ?? 0) / 1024;
  const threadCpu = (name: string): number => {
    let sum = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      if (stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) !== name) continue;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      sum += (Number(fields[11]) + Number(fields[12])) / 100;
    }
    return sum;
  };
  try {
    const ports = await new Promise<number[]>((resolve) => child.once('message', (m) => resolve(m as number[])));
    // --targets N: each responder probed N / 200 times per round (a larger --full-mesh-max-peers).
    const targetCount = Number(arg('targets') ?? 200);
    const peers = Array.from({ length: targetCount }, (_, i) => ({
      nodeName: `peer-${i}`,
      network: 1 + (i % 2),
      address: '127.0.0.1',
      port: ports[i % ports.length]!,
      mtu: 1450,
    }));
    const request = { identity: { nodeName: 'node-1', network: 1 }, peers, timeoutMs: 1000, concurrency: 32, spacingMs: 50 };
    let run: () => Promise<{ ok: boolean }[]>;
    let worker: Worker | undefined;
    if (inline) {
      const { runProbeRound } = await import(new URL('agent/src/probe/probe-round.js', dist).href);
      run = () => runProbeRound(request, new AbortController().signal);
    } else {
      worker = new Worker(source ? new URL('agent/src/probe/prober-worker.ts', root) : new URL('agent/src/probe/prober-worker.js', dist), {
        resourceLimits: limits,
      });
      let id = 0;
      const waiting = new Map<number, (results: { ok: boolean }[]) => void>();
      // Out of memory (a heap limit below the round's need) ends the bench, as it ends the agent's worker.
      worker.on('error', (err) => {
        console.log(`worker ${JSON.stringify(limits)}: ${String(err)}`);
        child.kill();
        process.exit(2);
      });
      worker.on('message', (reply: { id: number; results: { ok: boolean }[] }) => waiting.get(reply.id)?.(reply.results));
      run = () =>
        new Promise((resolve) => {
          waiting.set(++id, resolve);
          worker!.postMessage({ type: 'round', id, request });
        });
    }
    const thread = inline ? 'MainThread' : 'WorkerThread';
    if (!process.argv.includes('--no-warmup')) await run();
    // The responders' CPU too: what a node spends answering its peers' probes (in a cluster every
    // node answers as many probes as it sends; bench/agent-peers.ts's peers do not probe the agent).
    const childCpu = (): number => {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    const responders0 = childCpu();
    const cpu0 = threadCpu(thread);
    const gc0 = threadCpu('V8Worker');
    const t0 = performance.now();
    const rss: number[] = [];
    let ok = 0;
    let total = 0;
    for (let i = 0; i < rounds; i++) {
      const start = performance.now();
      const results = await run();
      total += results.length;
      ok += results.filter((r) => r.ok).length;
      rss.push(kib('VmRSS'));
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, intervalMs - (performance.now() - start))));
    }
    const seconds = (performance.now() - t0) / 1000;
    const heap = worker ? await worker.getHeapStatistics() : undefined;
    const mean = rss.reduce((a, b) => a + b, 0) / rss.length;
    console.log(
      `${inline ? 'inline (main thread)' : `worker ${JSON.stringify(limits)}`}: RSS mean ${mean.toFixed(1)} MiB, max ${Math.max(...rss).toFixed(1)} (anon ${kib('RssAnon').toFixed(1)}, file ${kib('RssFile').toFixed(1)} at the end); ` +
        `${thread} ${(((threadCpu(thread) - cpu0) / seconds) * 1000).toFixed(1)} millicores, V8Worker ${(((threadCpu('V8Worker') - gc0) / seconds) * 1000).toFixed(1)}; ` +
        `${(((threadCpu(thread) - cpu0) / rounds) * 1000).toFixed(1)} ms per round; ${ok}/${total} ok; ` +
        `responders (answering them) ${(((childCpu() - responders0) / seconds) * 1000).toFixed(1)} millicores` +
        (heap
          ? `; worker heap: total ${(heap.total_heap_size / 2 ** 20).toFixed(1)} MiB, used ${(heap.used_heap_size / 2 ** 20).toFixed(1)}, malloced ${(heap.malloced_memory / 2 ** 20).toFixed(1)}, limit ${(heap.heap_size_limit / 2 ** 20).toFixed(0)}`
          : ''),
    );
    await worker?.terminate();
  } finally {
    child.kill();
  }
}
