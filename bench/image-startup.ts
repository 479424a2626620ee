// Start-up time of the built images (scripts/images.sh), one container at a time, with the
// chart's security context, in a 1-node netns lab: the collector in the lab's gateway
// namespace, then node-1's host agent in node-1's namespace until it logs 'connected to
// collector'. Also the runtime's own cost: `podman run --rm`
// of a node that does nothing, against the same node on the host. Prints p50 and max per step.
// Usage (root, images built): node bench/image-startup.ts [--trials 5]
import { execFileSync } from 'node:child_process';
import { createLab } from '../test/lab/lab.ts';
import {
  agentImage,
  chartSecurityFlags,
  collectorImage,
  createContainers,
  netnsNetwork,
  podman,
  removeOrphanContainers,
  type Container,
} from '../test/images/podman.ts';

const trialsIndex = process.argv.indexOf('--trials');
const trials = trialsIndex > 0 ? Number(process.argv[trialsIndex + 1]) : 5;
if (!Number.isInteger(trials) || trials < 1 || trials > 50) throw new Error('--trials must be an integer in 1..50');

async function waitForLog(container: Container, msg: string, since: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await container.logs()).includes(`"msg":"${msg}"`)) return performance.now() - since;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${container.name}: no '${msg}' within ${timeoutMs} ms:\n${await container.logs()}`);
}

const samples: Record<string, number[]> = {};
const record = (step: string, ms: number): void => {
  (samples[step] ??= []).push(ms);
};
const containers = createContainers();
await removeOrphanContainers();
const lab = await createLab({ nodes: 1, gateway: 'netns', lockTimeoutMs: 600_000 });
const node = lab.nodes[0]!;
const stopOnSignal = (): void =>
  void containers
    .removeAll()
    .finally(() => lab.teardown())
    .finally(() => process.exit(130));
process.once('SIGINT', stopOnSignal);
process.once('SIGTERM', stopOnSignal);

try {
  for (let trial = 0; trial < trials; trial++) {
    let t0 = performance.now();
    const collector = await containers.run('collector', collectorImage, netnsNetwork(lab.gatewayNs!), [
      '--grpc-listen',
      `${lab.underlayGatewayIp}:7443`,
      '--http-listen',
      `${lab.underlayGatewayIp}:8080`,
    ]);
    record('collector: podman run -d returned', collector.runMs);
    record('collector: podman run → "collector started"', await waitForLog(collector, 'collector started', t0));
    t0 = performance.now();
    const agent = await containers.run('agent', agentImage, netnsNetwork(node.ns), [
      '--collector',
      `${lab.underlayGatewayIp}:7443`,
      '--node-name',
      node.name,
      '--network',
      'host',
      '--probe-listen',
      `${node.underlayIp}:7946`,
    ]);
    record('agent: podman run -d returned', agent.runMs);
    record('agent: podman run → "agent started"', await waitForLog(agent, 'agent started', t0));
    record('agent: podman run → "connected to collector"', await waitForLog(agent, 'connected to collector', t0));
    await containers.remove(agent);
    await containers.remove(collector);

    t0 = performance.now();
    await podman(['run', '--rm', '--network', 'none', ...chartSecurityFlags, '--entrypoint', 'node', agentImage, '-e', '0']);
    record('runtime: podman run --rm <agent image> node -e 0', performance.now() - t0);
    t0 = performance.now();
    execFileSync(process.execPath, ['-e', '0']);
    record('host: node -e 0 (same Node 24 binary)', performance.now() - t0);
  }
} finally {
  await containers.removeAll();
  await lab.teardown();
}

const sizes = await podman(['image', 'ls', '--format', '{{.Repository}}:{{.Tag}} {{.Size}}']);
console.log(
  `image start-up over ${trials} trials (ms), ${new Date().toISOString()}, load average ${execFileSync('cat', ['/proc/loadavg']).toString().split(' ').slice(0, 3).join(' ')}`,
);
for (const [step, values] of Object.entries(samples)) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(`  ${step.padEnd(52)} p50 ${Math.round(sorted[Math.floor((sorted.length - 1) / 2)]!)}  max ${Math.round(sorted.at(-1)!)}`);
}
console.log(
  sizes
    .split('\n')
    .filter((l) => /netsentry-|node:24/.test(l))
    .map((l) => `  ${l}`)
    .join('\n'),
);
