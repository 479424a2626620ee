// scratch experiment (not committed)
import { execFileSync, execFile } from 'node:child_process';
import { writeFileSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFlannelNode, createCaptureNetns } from '../agent/src/kernel/capture-netns.ts';
import { parseRoutes } from '../agent/src/kernel/parse-routes.ts';
import { parseNeighbors } from '../agent/src/kernel/parse-neighbors.ts';
import { parseFdb } from '../agent/src/kernel/parse-fdb.ts';
import { parseLinks } from '../agent/src/kernel/parse-links.ts';

const inside = process.argv.includes('--inside');
const peerCount = 5000;
const base = (198 << 24) + (18 << 16) + (64 << 8);
const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const mac = (j: number) => `0a:58:${[(j >> 16) & 255, (j >> 8) & 255, j & 255, 0xaa].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
const run = (argv: string[], input?: string) => new Promise<string>((resolve, reject) => {
  const child = execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, out) => (err ? reject(err) : resolve(out)));
  if (input !== undefined) { child.stdin!.end(input); }
});
async function measure(name: string, argv: string[], parse: (s: string) => unknown, input?: string) {
  const walls: number[] = []; const parses: number[] = []; let bytes = 0; const cpu0 = process.cpuUsage();
  for (let i = 0; i < 10; i++) {
    let t = performance.now(); const out = await run(argv, input); walls.push(performance.now() - t); bytes = out.length;
    t = performance.now(); parse(out); parses.push(performance.now() - t);
  }
  const c = process.cpuUsage(cpu0);
  walls.sort((a, b) => a - b); parses.sort((a, b) => a - b);
  console.log(`${name.padEnd(40)} wall p50 ${walls[5]!.toFixed(1)} ms, parse p50 ${parses[5]!.toFixed(1)} ms, ${(bytes / 1024).toFixed(0)} KiB, parent cpu/run ${((c.user + c.system) / 10000).toFixed(1)} ms`);
}
if (inside) {
  const P = (s: string) => s;
  await measure('ip -j -d addr show', ['ip', '-j', '-d', 'addr', 'show'], parseLinks);
  await measure('ip -j route show table all', ['ip', '-j', 'route', 'show', 'table', 'all'], parseRoutes);
  await measure('ip -j route show table main', ['ip', '-j', 'route', 'show', 'table', 'main'], parseRoutes);
  await measure('ip -j -4 route show table main', ['ip', '-j', '-4', 'route', 'show', 'table', 'main'], parseRoutes);
  await measure('ip route show table all (text)', ['ip', 'route', 'show', 'table', 'all'], P);
  await measure('ip -j neigh show', ['ip', '-j', 'neigh', 'show'], parseNeighbors);
  await measure('ip -j neigh show dev flannel.1', ['ip', '-j', 'neigh', 'show', 'dev', 'flannel.1'], parseNeighbors);
  await measure('ip neigh show (text)', ['ip', 'neigh', 'show'], P);
  await measure('bridge -j fdb show dev flannel.1', ['bridge', '-j', 'fdb', 'show', 'dev', 'flannel.1'], (s) => parseFdb(s, 'flannel.1'));
  await measure('bridge fdb show dev flannel.1 (text)', ['bridge', 'fdb', 'show', 'dev', 'flannel.1'], P);
  await measure('ip -V (spawn only)', ['ip', '-V'], P);
  await measure('ip -j -batch - (addr,route,neigh)', ['ip', '-j', '-batch', '-'], P, 'addr show\nroute show table all\nneigh show\n');
  await measure('ip -j -batch - (route,neigh dev)', ['ip', '-j', '-batch', '-'], P, 'route show table all\nneigh show dev flannel.1\n');
  for (const c of ['ip -j route show table all', 'ip route show table all', 'ip -j neigh show', 'ip neigh show', 'bridge -j fdb show dev flannel.1', 'bridge fdb show dev flannel.1']) {
    const out = execFileSync('bash', ['-c', `TIMEFORMAT='%R %U %S'; time (for i in 1 2 3 4 5 6 7 8 9 10; do ${c} >/dev/null; done)`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void out;
  }
  const b = await run(['ip', '-j', '-batch', '-'], 'link show lo\nroute show table local\n');
  console.log(JSON.stringify(b.slice(0, 600)));
} else {
  const ns = createCaptureNetns();
  const dir = mkdtempSync(join(tmpdir(), 'nsx-'));
  try {
    buildFlannelNode(ns, 0);
    const ipLines: string[] = []; const fdbLines: string[] = [];
    for (let j = 0; j < peerCount; j++) {
      const net = base + 16 * j; const gw = ip(net);
      ipLines.push(`route add ${gw}/28 via ${gw} dev flannel.1 onlink`, `neigh add ${gw} lladdr ${mac(j)} dev flannel.1 nud permanent`);
      fdbLines.push(`fdb append ${mac(j)} dev flannel.1 dst 192.0.2.${20 + (j % 200)} self permanent`);
    }
    writeFileSync(join(dir, 'ip.batch'), ipLines.join('\n') + '\n'); writeFileSync(join(dir, 'fdb.batch'), fdbLines.join('\n') + '\n');
    execFileSync('ip', ['netns', 'exec', ns.name, 'ip', '-batch', join(dir, 'ip.batch')]);
    execFileSync('ip', ['netns', 'exec', ns.name, 'bridge', '-batch', join(dir, 'fdb.batch')]);
    execFileSync('ip', ['netns', 'exec', ns.name, 'bash', '/tmp/agentcpu/inside.sh'], { stdio: 'inherit' });
    if (!process.argv.includes('--shell-only')) execFileSync('ip', ['netns', 'exec', ns.name, process.execPath, process.argv[1]!, '--inside'], { stdio: 'inherit' });
  } finally { ns.destroy(); rmSync(dir, { recursive: true, force: true }); }
}
