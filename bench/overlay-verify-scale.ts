// Overlay verification at scale: a throwaway namespace laid out as flannel node 1, plus
// --peers peers' route, PERMANENT neighbor and FDB entries programmed with `ip -batch` /
// `bridge -batch`; then, in a process started inside the namespace (so `ip` runs as the
// host agent runs it, without an `ip netns exec` around every dump), the agent's real
// verification pass (pass reader: one `ip -batch` run for links, routes and neighbors plus
// `bridge fdb`, parsing, verification against the peer set) runs --runs times, interleaved
// with the previous pass (four separate dumps in parallel) and verification alone.
// Then each dump on its own: wall time, output size, parse time.
// Addresses: peer j gets pod CIDR 198.18.64.0/28 + 16·j (all inside 198.18.0.0/15) and its
// FDB dst reuses 192.0.2.0/24 modulo 200 (192.0.2.20–219): nothing is ever sent to them.
// Usage (root): node bench/overlay-verify-scale.ts [--peers 5000] [--runs 20]
import { execFileSync } from 'node:child_process';
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { PeerSchema, type Peer } from '../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../shared/src/logger.ts';
import { buildFlannelNode, createCaptureNetns } from '../test/fixtures/capture-netns.ts';
import { createCommandRunner } from '../agent/src/kernel/command-runner.ts';
import { createKernelReader, kernelCommands, splitBatchOutput } from '../agent/src/kernel/kernel-reader.ts';
import { createPassReader } from '../agent/src/kernel/pass-reader.ts';
import { parseFdb } from '../agent/src/kernel/parse-fdb.ts';
import { parseLinks } from '../agent/src/kernel/parse-links.ts';
import { parseNeighbors } from '../agent/src/kernel/parse-neighbors.ts';
import { parseRoutes } from '../agent/src/kernel/parse-routes.ts';
import { getOverlayBackend } from '../agent/src/overlay/registry.ts';
import { describeSelf } from '../agent/src/overlay/self-description.ts';
import { createNodeReportCollector } from '../agent/src/node-state/collect-node-report.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const peerCount = arg('peers', 5000);
const runs = arg('runs', 20);

const base = (198 << 24) + (18 << 16) + (64 << 8); // 198.18.64.0
const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const peers: Peer[] = Array.from({ length: peerCount }, (_, j) => {
  const net = base + 16 * j;
  return create(PeerSchema, {
    nodeName: `peer-${j}`,
    network: Network.HOST,
    nodeIp: `192.0.2.${20 + (j % 200)}`,
    podCidrs: [`${ip(net)}/28`],
    vtepMac: `0a:58:${[(j >> 16) & 255, (j >> 8) & 255, j & 255, 0xaa].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
  });
});

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

const p50 = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** Inside the namespace: the measurements. */
async function measure(programMs: number): Promise<void> {
  const reader = createKernelReader({ runner: createCommandRunner({ timeoutMs: 10_000 }) });
  const self = describeSelf(await reader.links(), await reader.routes());
  const backend = getOverlayBackend(self.overlay.kind);
  const pass = createPassReader(reader);
  const collector = createNodeReportCollector({ reader: pass.reader, backend, self, logger: createSilentLogger() });
  // The previous pass: the same collector reading each table with its own `ip`.
  const legacy = createNodeReportCollector({ reader, backend, self, logger: createSilentLogger() });
  const [routes, neighbors, fdb] = await Promise.all([reader.routes(), reader.neighbors(), reader.fdb('flannel.1')]);
  const total: number[] = [];
  const previous: number[] = [];
  const verifyOnly: number[] = [];
  let passCpu = 0;
  let previousCpu = 0;
  let last;
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    let cpu = process.cpuUsage();
    pass.begin();
    last = await collector.collect(peers, 1n, 'periodic');
    pass.end();
    total.push(performance.now() - t);
    passCpu += process.cpuUsage(cpu).user + process.cpuUsage(cpu).system;
    t = performance.now();
    cpu = process.cpuUsage();
    await legacy.collect(peers, 1n, 'periodic');
    previous.push(performance.now() - t);
    previousCpu += process.cpuUsage(cpu).user + process.cpuUsage(cpu).system;
    t = performance.now();
    backend.verify({ self, routes, neighbors, fdb, peers });
    verifyOnly.push(performance.now() - t);
  }
  total.sort((a, b) => a - b);
  previous.sort((a, b) => a - b);
  verifyOnly.sort((a, b) => a - b);
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Linux ${release()}, Node ${process.version}`);
  console.log(
    `peers ${peerCount}: programmed ${routes.length} routes, ${neighbors.length} neighbors, ${fdb.length} FDB entries with ip/bridge -batch in ${programMs.toFixed(0)} ms`,
  );
  console.log(
    `report: peersChecked=${last?.overlay?.peersChecked} peersOk=${last?.overlay?.peersOk} problems=${last?.overlay?.problems.length}`,
  );
  console.log(
    `pass (ip -batch + bridge fdb, parse, verify), n=${runs}: p50 ${quantile(total, 0.5).toFixed(1)} ms, p95 ${quantile(total, 0.95).toFixed(1)} ms, max ${total.at(-1)!.toFixed(1)} ms; this process's CPU ${(passCpu / 1000 / runs).toFixed(1)} ms per pass`,
  );
  console.log(
    `previous pass (4 dumps in parallel, parse, verify), n=${runs}: p50 ${quantile(previous, 0.5).toFixed(1)} ms, p95 ${quantile(previous, 0.95).toFixed(1)} ms; this process's CPU ${(previousCpu / 1000 / runs).toFixed(1)} ms per pass`,
  );
  console.log(
    `verify only (pure), n=${runs}: p50 ${quantile(verifyOnly, 0.5).toFixed(1)} ms, p95 ${quantile(verifyOnly, 0.95).toFixed(1)} ms`,
  );

  // Each dump alone through the agent's command runner (output via an unlinked temp file),
  // and the route dump once more through a pipe: wall time, output size, parse time, and this
  // process's CPU per run (spawn + read + parse).
  const viaFile = createCommandRunner({ timeoutMs: 10_000 });
  const viaPipe = createCommandRunner({ timeoutMs: 10_000, outputDir: '' });
  const dumps: [string, string[], (text: string) => unknown, string?, typeof viaFile?][] = [
    ['ip -V (start-up only)', ['ip', '-V'], () => undefined],
    [`ip ${kernelCommands.links.join(' ')}`, ['ip', ...kernelCommands.links], parseLinks],
    [`ip ${kernelCommands.routes.join(' ')}`, ['ip', ...kernelCommands.routes], parseRoutes],
    [`ip ${kernelCommands.routes.join(' ')} (through a pipe)`, ['ip', ...kernelCommands.routes], parseRoutes, undefined, viaPipe],
    [`ip ${kernelCommands.neighbors.join(' ')}`, ['ip', ...kernelCommands.neighbors], parseNeighbors],
    [
      `bridge ${kernelCommands.fdb('flannel.1').join(' ')}`,
      ['bridge', ...kernelCommands.fdb('flannel.1')],
      (t) => parseFdb(t, 'flannel.1'),
    ],
    [
      `ip ${kernelCommands.tables.argv.join(' ')} (addr, route, neigh)`,
      ['ip', ...kernelCommands.tables.argv],
      (t) => {
        const [l, r, n] = splitBatchOutput(t, 3);
        return [parseLinks(l!), parseRoutes(r!), parseNeighbors(n!)];
      },
      kernelCommands.tables.input,
    ],
  ];
  for (const [name, argv, parse, input, runner = viaFile] of dumps) {
    const walls: number[] = [];
    const parses: number[] = [];
    let bytes = 0;
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const out = await runner.run(argv, undefined, input);
      walls.push(performance.now() - t);
      bytes = out.length;
      t = performance.now();
      parse(out);
      parses.push(performance.now() - t);
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `  ${name}: wall p50 ${p50(walls).toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB, parse p50 ${p50(parses).toFixed(1)} ms, this process's CPU ${((cpu.user + cpu.system) / 1000 / runs).toFixed(1)} ms per run`,
    );
  }
}

async function main(): Promise<void> {
  const ns = createCaptureNetns();
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-bench-'));
  const stop = () => {
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => (stop(), process.exit(130)));
  process.once('SIGTERM', () => (stop(), process.exit(143)));
  try {
    buildFlannelNode(ns, 0);
    const ipLines: string[] = [];
    const fdbLines: string[] = [];
    for (const p of peers) {
      const cidr = p.podCidrs[0]!;
      const gateway = cidr.split('/')[0]!;
      ipLines.push(
        `route add ${cidr} via ${gateway} dev flannel.1 onlink`,
        `neigh add ${gateway} lladdr ${p.vtepMac} dev flannel.1 nud permanent`,
      );
      fdbLines.push(`fdb append ${p.vtepMac} dev flannel.1 dst ${p.nodeIp} self permanent`);
    }
    writeFileSync(join(dir, 'ip.batch'), `${ipLines.join('\n')}\n`);
    writeFileSync(join(dir, 'fdb.batch'), `${fdbLines.join('\n')}\n`);
    const t = performance.now();
    execFileSync('ip', ['netns', 'exec', ns.name, 'ip', '-batch', join(dir, 'ip.batch')], { stdio: 'pipe' });
    execFileSync('ip', ['netns', 'exec', ns.name, 'bridge', '-batch', join(dir, 'fdb.batch')], { stdio: 'pipe' });
    const programMs = performance.now() - t;
    execFileSync(
      'ip',
      [
        'netns',
        'exec',
        ns.name,
        process.execPath,
        process.argv[1]!,
        '--inside',
        String(programMs),
        '--peers',
        String(peerCount),
        '--runs',
        String(runs),
      ],
      { stdio: 'inherit', timeout: 600_000 },
    );
  } finally {
    stop();
  }
}

const insideAt = process.argv.indexOf('--inside');
(insideAt > 0 ? measure(Number(process.argv[insideAt + 1])) : main()).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
