// A healthy lab soak: 4 nodes with host and pod agents and dnsmasq, default 5 s probes,
// for --minutes (default 10). Every --poll seconds it reads the open findings; any finding
// at any time fails the soak. Prints a summary (findings seen, probe matrix coverage,
// agent and collector memory) and exits 1 on a finding.
// Usage (root): node bench/soak.ts [--minutes 10] [--poll 5]
import { cpus, release } from 'node:os';
import { mib, residentBytes } from '../test/harness/outages.ts';
import { metricValue, startStack, waitFor, type Finding } from '../test/harness/stack.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const minutes = arg('minutes', 10);
const pollSeconds = arg('poll', 5);

interface Matrix {
  matrices: { network: string; protocol: string; cells: { attempts: number; failing: boolean }[] }[];
}

async function main(): Promise<number> {
  const stack = await startStack({ nodes: 4, podAgents: true, dnsPod: 'node-1-pod-1' });
  const stopOnSignal = () => void stack.teardown().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}; soak ${minutes} min, poll every ${pollSeconds} s`,
    );
    await waitFor(
      'a full probe matrix on both networks',
      async () => {
        const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
        return matrices.length >= 4 && matrices.every((m) => m.cells.filter((c) => c.attempts > 0).length >= 12);
      },
      90_000,
      500,
    );
    const started = Date.now();
    const end = started + minutes * 60_000;
    const seen = new Map<string, Finding>();
    let polls = 0;
    let failingCells = 0;
    const rssMax = new Map<string, number>();
    const sampleRss = async () => {
      for (const [name, proc] of [
        ['collector', stack.collector] as const,
        ...[...stack.agents].map(([n, p]) => [`agent ${n}`, p] as const),
        ...[...stack.podAgents].map(([n, p]) => [`pod agent ${n}`, p] as const),
      ]) {
        rssMax.set(name, Math.max(rssMax.get(name) ?? 0, await residentBytes(proc.pid).catch(() => 0)));
      }
    };
    while (Date.now() < end) {
      polls++;
      for (const f of await stack.findings())
        if (!seen.has(f.id)) {
          seen.set(f.id, f);
          console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: finding ${f.kind} ${f.nodes.join(',')}: ${f.summary}`);
        }
      const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
      failingCells += matrices.reduce((n, m) => n + m.cells.filter((c) => c.failing).length, 0);
      if (polls % 6 === 1) await sampleRss();
      await new Promise((resolve) => setTimeout(resolve, pollSeconds * 1000));
    }
    const metrics = await stack.metrics();
    const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
    console.log(
      `soak: ${((Date.now() - started) / 60_000).toFixed(1)} min, ${polls} polls, findings seen: ${seen.size}, failing matrix cells seen over all polls: ${failingCells}`,
    );
    console.log(
      `soak: matrices ${matrices.map((m) => `${m.network}/${m.protocol} ${m.cells.length} cells`).join(', ')}; agents connected host ${metricValue(metrics, 'netsentry_agents_connected', { network: 'host' })}, pod ${metricValue(metrics, 'netsentry_agents_connected', { network: 'pod' })}; agent restarts ${metricValue(metrics, 'netsentry_agent_restarts_total', { network: 'host' })}/${metricValue(metrics, 'netsentry_agent_restarts_total', { network: 'pod' })}`,
    );
    console.log(`soak: max VmRSS ${[...rssMax].map(([name, bytes]) => `${name} ${mib(bytes)} MiB`).join(', ')}`);
    console.log(seen.size === 0 ? 'soak: PASS (zero findings throughout)' : 'soak: FAIL');
    return seen.size === 0 ? 0 : 1;
  } finally {
    await stack.teardown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
