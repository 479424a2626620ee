// GET /api/v1/matrix at 1,000 nodes over loopback: what the page asked for before (every
// cell) against ?worst=50 (what it asks for now), bytes and time, with the index cold (a new
// probe view, as after each batch) and warm (the same view, as between batches).
// Run: node bench/matrix-worst.ts [nodes] [peers]
import { createSilentLogger } from '../shared/src/logger.ts';
import { buildServer } from '../collector/src/http/build-server.ts';
import type { ClusterSnapshot } from '../collector/src/model/cluster-snapshot.ts';

const nodeCount = Number(process.argv[2] ?? 1000);
const peers = Number(process.argv[3] ?? 20);
const broken = 'node-37';
const names = Array.from({ length: nodeCount }, (_, i) => `node-${i + 1}`);
const paths = names.flatMap((s, i) =>
  Array.from({ length: peers }, (_, k) => names[(i + 1 + k * 47) % nodeCount]!)
    .filter((d) => d !== s)
    .map((d) => {
      const fail = s === broken || d === broken;
      return {
        network: 'pod',
        protocol: 'udp',
        size: 'small',
        source: s,
        destination: d,
        attempts: 6,
        failures: fail ? 6 : 0,
        lossRatio: fail ? 1 : 0,
        rttP50Seconds: 0.0003,
        rttP95Seconds: 0.0005,
        failing: fail,
      };
    }),
);
const nodes = names.map((name) => ({ name, podAgent: {} }));
let snapshot = { nowMs: Date.now(), nodes, probes: { windowSeconds: 10, paths, agents: [], dns: [] } } as unknown as ClusterSnapshot;
const findings = [{ id: `X:${broken}`, kind: 'OverlayRouteMissing', severity: 'critical', nodes: [broken], state: 'open' }];
const app = buildServer({
  model: { snapshot: () => snapshot },
  findings: { list: () => findings as never },
  metrics: { exposition: async () => ({ body: Buffer.alloc(0), release: () => {} }), contentType: 'text/plain' },
  logger: createSilentLogger(),
  isReady: () => true,
});
const address = await app.listen({ host: '127.0.0.1', port: 0 });

async function time(path: string, fresh: boolean) {
  const runs: { ms: number; bytes: number }[] = [];
  for (let i = 0; i < 7; i++) {
    // A new probe view object: the collector's model hands one out after every batch.
    if (fresh) snapshot = { ...snapshot, probes: { ...snapshot.probes } } as ClusterSnapshot;
    const started = performance.now();
    const response = await fetch(`${address}${path}`);
    const bytes = (await response.arrayBuffer()).byteLength;
    runs.push({ ms: performance.now() - started, bytes });
  }
  const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
  return { path, fresh, bytes: runs[0]!.bytes, medianMs: Number(ms[3]!.toFixed(1)), maxMs: Number(ms.at(-1)!.toFixed(1)) };
}

console.log(`${nodeCount} nodes, ${peers} peers each, ${paths.length} cells on pod/udp`);
for (const [path, fresh] of [
  ['/api/v1/matrix?network=pod&protocol=udp', false],
  ['/api/v1/matrix?network=pod&protocol=udp&worst=50', true],
  ['/api/v1/matrix?network=pod&protocol=udp&worst=50', false],
] as const)
  console.log(JSON.stringify(await time(path, fresh)));
await app.close();
