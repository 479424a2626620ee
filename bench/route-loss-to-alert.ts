// Measures the time from deleting node-2's overlay routes in the lab to the real
// Prometheus (scraping the collector every 1 s, evaluating every 1 s, the shipped rules with
// `for:` set to --for) reporting NetsentryOverlayRouteMissing{node="node-2"} as firing, and
// from repair to the alert being gone.
// Usage (root): node bench/route-loss-to-alert.ts [--trials 10] [--for 2s]
import { cpus, release } from 'node:os';
import { startPrometheus, type LabPrometheus } from '../test/harness/prometheus.ts';
import { startStack, waitFor, type Stack } from '../test/harness/stack.ts';

const flag = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const trials = Number(flag('--trials', '10'));
const forDuration = flag('--for', '2s');

function quantile(sorted: number[], q: number): number {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] ?? NaN;
}

const firing = async (p: LabPrometheus) =>
  (await p.alerts()).some(
    (a) => a.labels.alertname === 'NetsentryOverlayRouteMissing' && a.labels.node === 'node-2' && a.state === 'firing',
  );
const anyRouteAlert = async (p: LabPrometheus) => (await p.alerts()).some((a) => a.labels.alertname === 'NetsentryOverlayRouteMissing');

async function main(): Promise<void> {
  let stack: Stack | undefined;
  let prometheus: LabPrometheus | undefined;
  const cleanup = async () => {
    await Promise.allSettled([prometheus?.stop(), stack?.teardown()]);
  };
  const stopOnSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    stack = await startStack({ nodes: 4 });
    prometheus = await startPrometheus({ target: new URL(stack.httpUrl).host, forDuration });
    const p = prometheus;
    await waitFor(
      'Prometheus to see 4 healthy nodes',
      async () => (await p.query('count(netsentry_overlay_routes_missing == 0) == 4')).result.length === 1,
      60_000,
      500,
    );
    const detect: number[] = [];
    const resolve: number[] = [];
    for (let i = 0; i < trials; i++) {
      let start = performance.now();
      await stack.lab.deleteOverlayRoutes('node-2');
      await waitFor('alert firing', () => firing(p), 60_000, 50);
      detect.push(performance.now() - start);
      start = performance.now();
      await stack.lab.restoreOverlay('node-2');
      await waitFor('alert gone', async () => !(await anyRouteAlert(p)), 60_000, 50);
      resolve.push(performance.now() - start);
      // Let a few healthy scrapes land so trials are independent.
      await new Promise((r) => setTimeout(r, 2_000));
    }
    const summary = (label: string, samples: number[]) => {
      const sorted = [...samples].sort((a, b) => a - b);
      return `${label}: n=${sorted.length} p50=${(quantile(sorted, 0.5) / 1000).toFixed(2)} s p95=${(quantile(sorted, 0.95) / 1000).toFixed(2)} s max=${(sorted.at(-1)! / 1000).toFixed(2)} s`;
    };
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}; Prometheus scrape 1 s, evaluation 1 s, for: ${forDuration}`,
    );
    console.log(summary('routes deleted -> alert firing ', detect));
    console.log(summary('routes restored -> alert gone  ', resolve));
  } finally {
    await cleanup();
  }
}

await main();
