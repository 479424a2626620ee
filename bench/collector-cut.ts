// The 60 s cut between every agent and the collector (nft drops TCP to the gRPC port in
// the node namespaces), as the issue states it; test/e2e/outages.test.ts runs a shorter one.
// Reports each agent's VmRSS before and at most during the cut, and how long until every
// agent is connected and heard from and the findings are clear again.
// Usage (root): node bench/collector-cut.ts [--seconds 60]
import { cpus, release } from 'node:os';
import { cutFor, mib } from '../test/harness/outages.ts';
import { metricValue, startStack, waitFor } from '../test/harness/stack.ts';

const i = process.argv.indexOf('--seconds');
const seconds = i > 0 ? Number(process.argv[i + 1]) : 60;

async function main(): Promise<number> {
  const stack = await startStack({ nodes: 4, collectorArgs: ['--agent-missing-after', '5s'] });
  const stopOnSignal = () => void stack.teardown().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}; cut ${seconds} s`,
    );
    const healthy = async () => {
      const { nodes } = await stack.getJson<{ nodes: { hostAgent?: { connected: boolean; lastSeen: string } }[] }>('/api/v1/nodes');
      return nodes.length === 4 && nodes.every((n) => n.hostAgent?.connected) && (await stack.findings()).length === 0;
    };
    await waitFor('a healthy lab', healthy, 60_000, 500);
    const kindsDuringCut = new Set<string>();
    const watcher = setInterval(
      () =>
        void stack.findings().then(
          (fs) => fs.forEach((f) => kindsDuringCut.add(`${f.kind}(${f.nodes.join(',')})`)),
          () => undefined,
        ),
      1_000,
    );
    const { memory } = await cutFor(stack, seconds);
    clearInterval(watcher);
    const cutEnded = Date.now();
    for (const [node, m] of Object.entries(memory))
      console.log(`${node} agent VmRSS before ${mib(m.before)} MiB, max during the cut ${mib(m.max)} MiB (+${mib(m.max - m.before)} MiB)`);
    console.log(`findings while cut off: ${[...kindsDuringCut].join(', ') || 'none'}`);
    const back = await waitFor(
      'every agent connected, heard from, and no findings',
      async () => {
        const { nodes } = await stack.getJson<{ nodes: { hostAgent?: { connected: boolean; lastSeen: string } }[] }>('/api/v1/nodes');
        return nodes.every((n) => n.hostAgent?.connected && Date.parse(n.hostAgent.lastSeen) > cutEnded) &&
          (await stack.findings()).length === 0
          ? Date.now()
          : undefined;
      },
      120_000,
      250,
    );
    console.log(`state back (all connected, zero findings) ${((back - cutEnded) / 1000).toFixed(1)} s after the cut ended`);
    // Held batches go out with the first batch after the reconnect (≤ one probe interval).
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    const discarded = metricValue(await stack.metrics(), 'netsentry_probe_results_discarded_total');
    console.log(`collector: probe results discarded as older than a reconnected destination's return: ${discarded}`);
    const logs = [...stack.agents.values()].map((p) => p.output());
    // node-1's uplink and buffer lines, timed relative to the end of the cut.
    for (const line of stack.agents.get('node-1')!.output().split('\n')) {
      if (!/"component":"(uplink|batch-buffer)"/.test(line)) continue;
      const entry = JSON.parse(line) as { time: string; msg: string; reason?: string; sent?: number; dropped?: number };
      console.log(
        `node-1 ${((Date.parse(entry.time) - cutEnded) / 1000).toFixed(1)} s: ${entry.msg}${entry.reason ? ` (${entry.reason})` : ''}${entry.sent !== undefined ? ` sent=${entry.sent} dropped=${entry.dropped}` : ''}`,
      );
    }
    console.log(
      `agent log lines 'collector stream down': ${logs.reduce((n, l) => n + l.split('collector stream down').length - 1, 0)}, 'buffer full': ${logs.reduce((n, l) => n + l.split('buffer full').length - 1, 0)}, 'sent probe batches held': ${logs.reduce((n, l) => n + l.split('sent probe batches held').length - 1, 0)}`,
    );
    return 0;
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
