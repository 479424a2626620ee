// Measures the time from deleting one overlay route in the lab to the OverlayRouteMissing
// finding appearing in the collector's API, and from repair to resolution.
// Usage (root): node bench/route-loss-to-finding.ts [--trials 25]
import { cpus, release } from 'node:os';
import { startStack, waitFor, type Stack } from '../test/harness/stack.ts';

const trialsFlag = process.argv.indexOf('--trials');
const trials = trialsFlag > 0 ? Number(process.argv[trialsFlag + 1]) : 25;

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

async function timeUntil(stack: Stack, condition: (ids: string[]) => boolean): Promise<number> {
  const start = performance.now();
  await waitFor('finding state', async () => condition((await stack.findings()).map((f) => f.id)), 10_000, 5);
  return performance.now() - start;
}

async function main(): Promise<void> {
  const stack = await startStack({ nodes: 4 });
  const stopOnSignal = () => void stack.teardown().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await waitFor(
      'a healthy lab',
      async () => (await stack.findings()).length === 0 && (await stack.getJson<{ nodes: unknown[] }>('/api/v1/nodes')).nodes.length === 4,
      20_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const detect: number[] = [];
    const resolve: number[] = [];
    for (let i = 0; i < trials; i++) {
      const peer = ['node-1', 'node-3', 'node-4'][i % 3]!;
      const deleted = stack.lab.deleteOverlayRoutes('node-2', [peer]);
      detect.push(await timeUntil(stack, (ids) => ids.includes('OverlayRouteMissing:node-2')));
      await deleted;
      const restored = stack.lab.restoreOverlay('node-2');
      resolve.push(await timeUntil(stack, (ids) => ids.length === 0));
      await restored;
    }
    const summary = (label: string, samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return `${label}: n=${sorted.length} p50=${quantile(sorted, 0.5).toFixed(0)} ms p95=${quantile(sorted, 0.95).toFixed(0)} ms max=${sorted.at(-1)!.toFixed(0)} ms`;
    };
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}`);
    console.log(summary('route deleted -> finding open  ', detect));
    console.log(summary('route restored -> finding gone ', resolve));
  } finally {
    await stack.teardown();
  }
}

await main();
