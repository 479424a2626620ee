// The agent's own cost at 100 peers: one throwaway namespace laid out as flannel node 1
// (eth0 192.0.2.11/24, MTU 1500; flannel.1; cni0) with --peers peer nodes' routes, neighbors
// and FDB entries programmed, the real collector, a simulator process that registers each
// peer node's host and pod agent with the collector (hello + peer address) and answers their
// probes with the agent's real probe responder (real UDP/TCP sockets on 192.0.2.x addresses
// inside the namespace), and one real host agent at its defaults (5 s probe interval,
// 30 s verification): it probes 2 × peers targets (full mesh up to 100 peer nodes) and
// verifies the overlay toward the peers. Measures the agent's RSS and CPU over --minutes.
// The agent runs as shipped: the `npm run build` output (dist/agent/src/main.js, built here
// first); --source runs agent/src/main.ts instead, which adds Node's type stripping (~20 MiB
// per thread: the main thread and the prober worker each load it).
// --layout says what runs on node 1 (issue 15, the per-node footprint): host (default: the host
// agent alone, as before), two-agents (the host agent and a pod agent, as a node runs them with
// the pod DaemonSet; the pod agent shares the namespace, on port 7947), via-overlay (one host
// agent with --pod-network-probes via-overlay; the simulated peers are host agents that answer
// for their pod network at their flannel.1 address, no pod agents). --agent-args "..." adds flags
// to every agent under test (e.g. "--prober-thread main").
// Usage (root): node bench/agent-peers.ts [--peers 100] [--minutes 3] [--probe-report exception|results] [--source] [--agent-node-flags "..."]
//   [--layout host|two-agents|via-overlay] [--agent-args "..."] [--agent-env "K=V ..."]
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ConnectRequestSchema } from '../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayKind } from '../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../shared/src/logger.ts';
import { connectPath } from '../shared/src/wire.ts';
import { buildFlannelNode, createCaptureNetns } from '../test/fixtures/capture-netns.ts';
import { createProbeResponder } from '../agent/src/probe/probe-responder.ts';
import { agentNodeFlags as shippedNodeFlags } from '../agent/src/node-flags.ts';

// Every sender counts as a peer here: this measures probing, not the responder's admission.
const anyPeer = { isPeerAddress: () => true, isSender: () => true, isOverlaySource: () => false };

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const peerCount = arg('peers', 100);
const fromSource = process.argv.includes('--source');
// The agent's node flags: as shipped (agent/src/node-flags.ts) unless --agent-node-flags "..."
// replaces them (to compare V8 settings; "" = none).
const agentNodeFlags = (() => {
  const i = process.argv.indexOf('--agent-node-flags');
  return i > 0 ? process.argv[i + 1]!.split(' ').filter(Boolean) : [...shippedNodeFlags];
})();
const minutes = arg('minutes', 3);
const stringArg = (name: string, fallback: string): string =>
  process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1]! : fallback;
const layout = stringArg('layout', 'host');
if (!['host', 'two-agents', 'via-overlay'].includes(layout))
  throw new Error(`--layout must be host, two-agents or via-overlay, got ${layout}`);
const extraAgentArgs = stringArg('agent-args', '').split(' ').filter(Boolean);
// --agent-env "K=V K2=V2": environment for the agents under test only (e.g. MALLOC_ARENA_MAX=2).
const agentEnv = Object.fromEntries(
  stringArg('agent-env', '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
// --probe-report exception (default, as shipped) or results (one ProbeResult per probe, before issue 15).
const probeReport = process.argv.includes('--probe-report') ? process.argv[process.argv.indexOf('--probe-report') + 1]! : 'exception';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const podCidr = (j: number): string => `198.18.${64 + Math.floor(j / 16)}.${(j % 16) * 16}/28`;
const vtepMac = (j: number): string => `0a:58:00:00:${(j >> 8).toString(16).padStart(2, '0')}:${(j & 255).toString(16).padStart(2, '0')}`;
// Peer j: host agent on 192.0.2.(100 + j % 100) port 20000 + j, pod agent the same address, port 30000 + j.
const peerIp = (j: number): string => `192.0.2.${100 + (j % 100)}`;
/** Peer j's flannel.1 address (its pod CIDR's network address): where a via-overlay host agent answers for its pod network. */
const peerOverlayIp = (j: number): string => podCidr(j).split('/')[0]!;

/** Inside the namespace: the peers' agents (streams + responders). */
let simErrorShown = false;
async function simulate(collector: string): Promise<void> {
  const client = new grpc.Client(collector, grpc.credentials.createInsecure());
  // The collector (run from source, on a busy machine) may take longer than the bench's first
  // wait to listen: a stream opened before that fails and would leave the agent nothing to probe.
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 60_000, (err) => (err ? reject(new Error(`collector not ready: ${err.message}`)) : resolve())),
  );
  const identity = (b: Buffer): Buffer => b;
  const calls: grpc.ClientDuplexStream<Buffer, Buffer>[] = [];
  const viaOverlay = layout === 'via-overlay';
  for (let j = 0; j < peerCount; j++) {
    for (const network of viaOverlay ? [Network.HOST] : [Network.HOST, Network.POD]) {
      const port = (network === Network.HOST ? 20000 : 30000) + j;
      // A via-overlay host agent answers at its node IP and at its flannel.1 address: every address.
      await createProbeResponder({ logger: createSilentLogger(), senders: anyPeer }).listen(viaOverlay ? '0.0.0.0' : peerIp(j), port);
      const call = client.makeBidiStreamRequest(connectPath, identity, identity, new grpc.Metadata());
      call.on('data', () => undefined);
      // A refused simulated peer would leave the agent with nothing to probe: say so once.
      call.on('error', (err) => {
        if (!simErrorShown) console.error(`simulated peer-${j} stream refused: ${String(err)}`);
        simErrorShown = true;
      });
      call.write(
        Buffer.from(
          toBinary(
            ConnectRequestSchema,
            create(ConnectRequestSchema, {
              payload: {
                case: 'hello',
                value: {
                  nodeName: `peer-${j}`,
                  network,
                  addresses: [peerIp(j)],
                  podCidrs: [podCidr(j)],
                  agentVersion: 'sim',
                  probeAddress: peerIp(j),
                  probePort: port,
                  ...(viaOverlay ? { podProbeAddress: peerOverlayIp(j) } : {}),
                  overlay:
                    network === Network.HOST
                      ? {
                          kind: OverlayKind.FLANNEL_VXLAN,
                          name: 'flannel.1',
                          vni: 1,
                          port: 8472,
                          vtepIp: peerIp(j),
                          vtepMac: vtepMac(j),
                          mtu: 1450,
                          underlayMtu: 1500,
                        }
                      : { kind: OverlayKind.NONE },
                },
              },
            }),
          ),
        ),
      );
      calls.push(call);
      // Heartbeats keep the simulated peers alive in the collector.
      setInterval(
        () =>
          call.write(
            Buffer.from(
              toBinary(
                ConnectRequestSchema,
                create(ConnectRequestSchema, { payload: { case: 'heartbeat', value: { sentAtUnixMs: BigInt(Date.now()) } } }),
              ),
            ),
          ),
        5000,
      );
    }
  }
  process.send?.('ready');
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
/** CPU seconds per thread name (MainThread, WorkerThread = the prober, V8Worker = GC helpers, libuv-worker, ...). */
function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}
/** RSS split as the kernel reports it: anonymous (heaps, stacks) and file-backed (the node binary's text, shared libraries). */
const rssSplitMiB = (pid: number): string => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return `anon ${kib('RssAnon').toFixed(1)} MiB, file ${kib('RssFile').toFixed(1)} MiB, shmem ${kib('RssShmem').toFixed(1)} MiB`;
};
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  const ns = createCaptureNetns();
  const children: ChildProcess[] = [];
  const stop = () => {
    for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGTERM');
    ns.destroy();
  };
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  const watchdog = setTimeout(() => (console.error('deadline reached'), stop(), process.exit(3)), (minutes * 60 + 180) * 1000);
  watchdog.unref();
  try {
    buildFlannelNode(ns, 0);
    const lines: string[] = [];
    for (let j = 0; j < 100; j++) lines.push(`address add 192.0.2.${100 + j}/32 dev eth0`);
    for (let j = 0; j < peerCount; j++) {
      const gateway = podCidr(j).split('/')[0]!;
      lines.push(
        `route add ${podCidr(j)} via ${gateway} dev flannel.1 onlink`,
        `neigh add ${gateway} lladdr ${vtepMac(j)} dev flannel.1 nud permanent`,
      );
    }
    // via-overlay: the peers' flannel.1 addresses are local too (after the routes, whose gateways they are), so their simulated host agents answer there.
    if (layout === 'via-overlay') for (let j = 0; j < peerCount; j++) lines.push(`address add ${peerOverlayIp(j)}/32 dev eth0`);
    execFileSync('ip', ['netns', 'exec', ns.name, 'ip', '-batch', '-'], {
      input: `${lines.join('\n')}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const fdb = Array.from({ length: peerCount }, (_, j) => `fdb append ${vtepMac(j)} dev flannel.1 dst ${peerIp(j)} self permanent`);
    execFileSync('ip', ['netns', 'exec', ns.name, 'bridge', '-batch', '-'], {
      input: `${fdb.join('\n')}\n`,
      stdio: ['pipe', 'pipe', 'pipe'],
    });

    if (!fromSource) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    const node = process.execPath;
    // --verbose: the processes' logs on this terminal (the agents at --log-level info when --agent-args says so).
    const verbose = process.argv.includes('--verbose');
    const run = (argv: string[], ipc = false, flags: string[] = [], env: Record<string, string> = {}): ChildProcess => {
      const child = spawn('ip', ['netns', 'exec', ns.name, node, ...flags, ...argv], {
        env: { ...process.env, ...env },
        stdio: ['ignore', verbose ? 'inherit' : 'ignore', 'inherit', ...(ipc ? ['ipc' as const] : [])],
      });
      children.push(child);
      return child;
    };
    run([
      'collector/src/main.ts',
      '--grpc-listen',
      '192.0.2.11:7443',
      '--http-listen',
      '192.0.2.11:8080',
      '--max-streams-per-peer',
      '0',
      '--log-level',
      'warn',
    ]);
    await sleep(2000);
    const sim = run(['bench/agent-peers.ts', '--simulate', '192.0.2.11:7443', '--peers', String(peerCount), '--layout', layout], true);
    await new Promise<void>((resolve, reject) => {
      sim.once('message', () => resolve());
      setTimeout(() => reject(new Error('simulated peers not ready within 60 s')), 60_000).unref();
    });
    // The agents under test on node 1: the host agent (as the layout wants it) and, for two-agents, a pod agent beside it.
    const agentEntry = fromSource ? 'agent/src/main.ts' : 'dist/agent/src/main.js';
    const common = ['--collector', '192.0.2.11:7443', '--node-name', 'node-1', '--log-level', 'warn', '--probe-report', probeReport];
    const agents: { name: string; pid: number }[] = [];
    const host = run(
      [
        agentEntry,
        ...common,
        '--network',
        'host',
        ...(layout === 'via-overlay'
          ? ['--pod-network-probes', 'via-overlay', '--probe-listen', '0.0.0.0:7946', '--dns-server', 'off']
          : ['--probe-listen', '192.0.2.11:7946']),
        ...extraAgentArgs,
      ],
      false,
      agentNodeFlags,
      agentEnv,
    );
    agents.push({ name: layout === 'via-overlay' ? 'host agent (via-overlay)' : 'host agent', pid: host.pid! });
    if (layout === 'two-agents') {
      const pod = run(
        [
          agentEntry,
          ...common,
          '--network',
          'pod',
          '--pod-ip',
          '192.0.2.11',
          '--probe-listen',
          '192.0.2.11:7947',
          '--dns-server',
          'off',
          ...extraAgentArgs,
        ],
        false,
        agentNodeFlags,
        agentEnv,
      );
      agents.push({ name: 'pod agent', pid: pod.pid! });
    }
    await sleep(30_000); // start-up, first verification, first rounds
    const start = agents.map((a) => ({ cpu: cpuSeconds(a.pid), threads: cpuByThread(a.pid), rss: [] as number[] }));
    const t0 = performance.now();
    while (performance.now() - t0 < minutes * 60_000) {
      await sleep(10_000);
      agents.forEach((a, i) => start[i]!.rss.push(rssMiB(a.pid)));
    }
    const seconds = (performance.now() - t0) / 1000;
    const nodes = execFileSync(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        node,
        '-e',
        "fetch('http://192.0.2.11:8080/metrics').then((r) => r.text()).then((t) => process.stdout.write(t))",
      ],
      { encoding: 'utf8' },
    );
    const batches = /netsentry_messages_received_total\{type="probeBatch"\} (\d+)/.exec(nodes)?.[1];
    const known = nodes.split('\n').filter((l) => /^netsentry_(nodes_known|agents_connected)/.test(l));
    console.log(`collector: ${known.join('; ')}`);
    // That the agents probed: node 1's probe metrics as the collector sees them (pairs measured, loss).
    const node1 = nodes.split('\n').filter((l) => /^netsentry_probe_(loss_ratio|rtt_median_seconds)\{[^}]*node="node-1"/.test(l));
    console.log(`collector's view of node-1: ${node1.slice(0, 8).join('; ') || 'no probe metrics'}`);
    const targets = layout === 'two-agents' ? `${2 * peerCount} + ${peerCount}` : `${2 * peerCount}`;
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}`);
    console.log(
      `layout ${layout}: ${agents.map((a) => a.name).join(' + ')} (${agentEntry}, defaults${extraAgentArgs.length ? ` + ${extraAgentArgs.join(' ')}` : ''}, node flags: ${agentNodeFlags.join(' ') || 'none'}${
        Object.keys(agentEnv).length
          ? `, env ${Object.entries(agentEnv)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`
          : ''
      }) with ${peerCount} peer nodes (${targets} probe targets, full mesh), --probe-report ${probeReport}, ${seconds.toFixed(0)} s after a 30 s warm-up; probe batches received by the collector: ${batches}`,
    );
    let totalMillicores = 0;
    let totalRss = 0;
    agents.forEach((a, i) => {
      const s0 = start[i]!;
      const millicores = ((cpuSeconds(a.pid) - s0.cpu) / seconds) * 1000;
      const rssMean = s0.rss.reduce((x, y) => x + y, 0) / s0.rss.length;
      totalMillicores += millicores;
      totalRss += rssMean;
      const byThread = [...cpuByThread(a.pid)]
        .map(([name, sec]) => [name, ((sec - (s0.threads.get(name) ?? 0)) / seconds) * 1000] as const)
        .filter(([, m]) => m >= 0.05)
        .sort((x, y) => y[1] - x[1])
        .map(([name, m]) => `${name} ${m.toFixed(1)}`)
        .join(', ');
      console.log(`${a.name} CPU by thread (millicores): ${byThread}`);
      console.log(
        `${a.name} CPU ${millicores.toFixed(1)} millicores; RSS mean ${rssMean.toFixed(1)} MiB, max ${Math.max(...s0.rss).toFixed(1)} MiB (at the end: ${rssSplitMiB(a.pid)})`,
      );
    });
    if (agents.length > 1) console.log(`node total: CPU ${totalMillicores.toFixed(1)} millicores; RSS ${totalRss.toFixed(1)} MiB`);
  } finally {
    stop();
    await sleep(1000);
  }
}

const simulateAt = process.argv.indexOf('--simulate');
if (simulateAt > 0) void simulate(process.argv[simulateAt + 1]!);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
