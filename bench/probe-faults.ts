// Measures, in the lab with host and pod agents at the default 5 s probe interval:
// - time from a data-path fault to its finding (and from repair to resolution), per fault;
// - the agent's UDP RTT p50 beside ping's p50 on the same path.
// Usage (root): node bench/probe-faults.ts [--trials 3] [--interval 5] [--sample-size k]
import { cpus, release } from 'node:os';
import { startStack, waitFor, type Stack } from '../test/harness/stack.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const trials = arg('trials', 3);
const intervalSeconds = arg('interval', 5);
// --sample-size k: force the sampled mesh (threshold 0) with k peer nodes per round.
const sampleSize = arg('sample-size', 0);
const sampling = sampleSize > 0 ? ['--full-mesh-max-peers', '0', '--sample-size', String(sampleSize)] : [];

interface Fault {
  name: string;
  kind: string;
  node: string;
  apply(stack: Stack): Promise<unknown>;
  repair(stack: Stack): Promise<unknown>;
}

const faults: Fault[] = [
  {
    name: 'overlay routes deleted (seed 002)',
    kind: 'NodeIsolated',
    node: 'node-2',
    apply: (s) => s.lab.deleteOverlayRoutes('node-2'),
    repair: (s) => s.lab.restoreOverlay('node-2'),
  },
  {
    name: 'UDP dropped by nft',
    kind: 'ProtocolBlocked',
    node: 'node-3',
    apply: (s) => s.lab.dropUdp('node-3'),
    repair: (s) => s.lab.clearFaults('node-3'),
  },
  {
    name: 'underlay MTU lowered (black hole)',
    kind: 'MtuBlackhole',
    node: 'node-4',
    apply: (s) => s.lab.setMtu(s.lab.node('node-4').ns, 'eth0', 1450),
    repair: (s) => s.lab.setMtu(s.lab.node('node-4').ns, 'eth0', 1500),
  },
];

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
};

async function main(): Promise<void> {
  const stack = await startStack({
    nodes: 4,
    podAgents: true,
    dnsPod: 'node-1-pod-1',
    agentArgs: ['--probe-interval', `${intervalSeconds}s`, ...sampling],
    podAgentArgs: ['--probe-interval', `${intervalSeconds}s`, ...sampling],
  });
  const stopOnSignal = () => void stack.teardown().then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    console.log(
      `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}; probe interval ${intervalSeconds} s${sampleSize > 0 ? `; sampled mesh, ${sampleSize} peer node(s) per round` : ''}`,
    );
    await waitFor(
      'a healthy mesh',
      async () => {
        const { matrices } = await stack.getJson<{ matrices: { cells: { attempts: number }[] }[] }>('/api/v1/matrix');
        // A sampled mesh only has the pairs of the last rounds fresh.
        const complete =
          sampleSize > 0 || (matrices.length >= 4 && matrices.every((m) => m.cells.length >= 12 && m.cells.every((c) => c.attempts > 0)));
        return complete && matrices.length >= 4 && (await stack.findings()).length === 0;
      },
      60_000,
      500,
    );

    // RTT: the agent's UDP p50 on node-1 → node-2 (host network) beside ping on the same path.
    const node2 = stack.lab.node('node-2');
    const ping = await stack.lab.pingRtt(stack.lab.node('node-1').ns, node2.underlayIp, 50, 0.2);
    const { matrices } = await stack.getJson<{
      matrices: { network: string; protocol: string; cells: { source: string; destination: string; rttP50Seconds: number }[] }[];
    }>('/api/v1/matrix?network=host&protocol=udp');
    const cell = matrices[0]?.cells.find((c) => c.source === 'node-1' && c.destination === 'node-2');
    console.log(
      `RTT p50 node-1 → node-2 (underlay): agent UDP ${((cell?.rttP50Seconds ?? NaN) * 1e6).toFixed(0)} µs, ping ${(ping.p50Seconds * 1e6).toFixed(0)} µs (${ping.received}/${ping.sent} replies)`,
    );

    for (const fault of faults) {
      const detect: number[] = [];
      const resolve: number[] = [];
      for (let i = 0; i < trials; i++) {
        const started = performance.now();
        await fault.apply(stack);
        await waitFor(
          fault.kind,
          async () => (await stack.findings()).some((f) => f.kind === fault.kind && f.nodes.includes(fault.node)),
          60_000,
          50,
        );
        detect.push((performance.now() - started) / 1000);
        const repaired = performance.now();
        await fault.repair(stack);
        await waitFor('resolution', async () => (await stack.findings()).length === 0, 90_000, 50);
        resolve.push((performance.now() - repaired) / 1000);
      }
      const fmt = (v: number[]) =>
        `p50 ${quantile(v, 0.5).toFixed(1)} s, max ${Math.max(...v).toFixed(1)} s (${(Math.max(...v) / intervalSeconds).toFixed(1)} intervals)`;
      console.log(`${fault.name} → ${fault.kind}(${fault.node}): detect ${fmt(detect)}; resolve ${fmt(resolve)}; n=${trials}`);
    }
  } finally {
    await stack.teardown();
  }
}

await main();
