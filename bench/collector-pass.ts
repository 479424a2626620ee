// The collector's probe pipeline in one process, without gRPC: N nodes (a host and a pod
// agent each) send sampled probe batches (k peer nodes per round, UDP ×3 small, ×2 large,
// TCP ×1 per target; host agents probe both networks) into the real cluster model, spread
// over the interval, and the real findings engine evaluates every simulated second.
// Measures what the in-process part costs, apart from decoding and gRPC: ingest time per
// result (store + view upkeep), detector pass time, live heap after GC, and the passes
// from breaking one node to its NodeIsolated finding. The clock is simulated; times are
// process CPU time (process.cpuUsage, includes GC threads); on shared cores other load still
// inflates them (±30 % seen on a loaded 2-core machine), so compare runs made back to back.
// --report exception (default): batches as agents send them since issue 15 (summaries for
// lossy or just-recovered targets, coverage names for the rest); --report results: one
// ProbeResult per probe. Either way each batch is encoded, and decoding + validation count in
// the ingest time (they are where report by exception saves most).
// Usage: node --expose-gc bench/collector-pass.ts --nodes 5000 [--sample-size 32] [--rounds 6] [--report exception|results]
// BENCH_HEAP_SNAPSHOT=file.heapsnapshot: writes a heap snapshot after the warm rounds (what the live heap is made of).
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { performance } from 'node:perf_hooks';
import { cpus, release } from 'node:os';
import { Network } from '../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol, type ProbeBatch, type ProbeResult } from '../shared/src/gen/netsentry/v1/probe_pb.js';
import { createSilentLogger } from '../shared/src/logger.ts';
import { defaultDetectors } from '../collector/src/detectors/index.ts';
import { validateProbeBatch } from '../collector/src/ingest/validate-probe-batch.ts';
import { createFindingsEngine } from '../collector/src/findings/findings-engine.ts';
import { createTestCluster, podHello } from '../test/fixtures/cluster-fixtures.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const nodes = arg('nodes', 5000);
const k = arg('sample-size', 32);
const warmRounds = arg('rounds', 6);
const intervalMs = 5000;
const stepsPerRound = 5;
const gc = (globalThis as { gc?: () => void }).gc;
const byException = (process.argv.includes('--report') ? process.argv[process.argv.indexOf('--report') + 1] : 'exception') === 'exception';

const cluster = createTestCluster({ nodes, nodeExpiryMs: 3_600_000 });
for (const name of cluster.names) cluster.model.agentConnected(podHello(name), { connectionId: `pod-${name}`, peerAddress: 'x' });
const engine = createFindingsEngine({
  model: cluster.model,
  detectors: defaultDetectors(),
  now: cluster.clock.now,
  logger: createSilentLogger(),
});
const sampleRounds = Math.ceil((nodes - 1) / k);

// Results are plain objects shaped like decoded ProbeResults: the store only reads fields.
const shapes = [
  { protocol: ProbeProtocol.UDP, large: false, count: 3, bytes: 72 },
  { protocol: ProbeProtocol.UDP, large: true, count: 2, bytes: 1450 },
  { protocol: ProbeProtocol.TCP, large: false, count: 1, bytes: 64 },
];
let broken = -1;
function batchFor(index: number, network: 'host' | 'pod', round: number): ProbeBatch {
  const results: ProbeResult[] = [];
  const sentAtUnixMs = BigInt(cluster.clock.now());
  const targetNetworks = network === 'host' ? [Network.HOST, Network.POD] : [Network.POD];
  const summaries: object[] = [];
  const covered = targetNetworks.map(() => [] as string[]);
  for (let j = 0; j < k; j++) {
    const peer = (index + 1 + ((round * k + j) % (nodes - 1))) % nodes;
    const targetNode = cluster.names[peer]!;
    const ok = index !== broken && peer !== broken;
    if (byException) {
      targetNetworks.forEach((targetNetwork, n) => {
        if (ok) covered[n]!.push(targetNode);
        else
          for (const s of shapes)
            summaries.push({
              targetNode,
              targetNetwork,
              protocol: s.protocol,
              large: s.large,
              sent: s.count,
              lost: s.count,
              sizeBytes: s.bytes,
            });
      });
      continue;
    }
    for (const targetNetwork of targetNetworks) {
      for (const s of shapes) {
        for (let i = 0; i < s.count; i++) {
          results.push({
            targetNode,
            protocol: s.protocol,
            ok,
            rttSeconds: ok ? 0.0004 + i * 0.0001 : 0,
            sizeBytes: s.bytes,
            error: ok ? '' : 'timeout',
            sentAtUnixMs,
            targetNetwork,
            target: '',
            large: s.large,
            sendDelaySeconds: 0,
          } as unknown as ProbeResult);
        }
      }
    }
  }
  const coverage = targetNetworks
    .map((targetNetwork, n) => ({
      targetNetwork,
      targetNodes: covered[n]!,
      udpSmall: 3,
      udpSmallBytes: 72,
      udpLarge: 2,
      udpLargeBytes: 1450,
      tcp: 1,
      tcpBytes: 64,
      rttP50Seconds: 0.0004,
    }))
    .filter((c) => c.targetNodes.length > 0);
  return create(ProbeBatchSchema, {
    results,
    pathSummaries: summaries,
    coverage,
    intervalSeconds: intervalMs / 1000,
    sampleRounds,
    eventLoopDelayP99Seconds: 0.002,
  });
}

let ingestMs = 0;
let ingested = 0;
let wireBytes = 0;
let batches = 0;
const resultsPerTarget = shapes.reduce((n, s) => n + s.count, 0);
const passes: number[] = [];
/** One simulated second: a fifth of the agents send their batch, then one detector pass. Returns the open finding ids. */
function step(r: number, stepIndex: number): string[] {
  cluster.clock.advance(intervalMs / stepsPerRound);
  for (let i = stepIndex; i < nodes; i += stepsPerRound) {
    const name = cluster.names[i]!;
    for (const network of ['host', 'pod'] as const) {
      const bytes = toBinary(ProbeBatchSchema, batchFor(i, network, r));
      wireBytes += bytes.length;
      const t0 = process.cpuUsage();
      const batch = fromBinary(ProbeBatchSchema, bytes);
      const invalid = validateProbeBatch(batch);
      if (invalid) throw new Error(invalid);
      cluster.model.agentProbeBatch(cluster.key(name, network), batch);
      const t1 = process.cpuUsage(t0);
      ingestMs += (t1.user + t1.system) / 1000;
      // Probes the batch stands for, either way.
      ingested += (network === 'host' ? 2 : 1) * k * resultsPerTarget;
      batches += 1;
    }
    cluster.model.agentHeartbeat(cluster.key(name));
  }
  const t0 = process.cpuUsage();
  engine.evaluate();
  const t1 = process.cpuUsage(t0);
  passes.push((t1.user + t1.system) / 1000);
  return engine.list().map((f) => f.id);
}

const t0 = performance.now();
for (let r = 0; r < warmRounds; r++) {
  for (let s = 0; s < stepsPerRound; s++) {
    const open = step(r, s);
    if (open.length) console.log(`round ${r}: unexpected findings ${open.slice(0, 5).join(', ')}`);
  }
}
const steady = passes.slice(stepsPerRound * 2);
gc?.();
const heapMiB = process.memoryUsage().heapUsed / 2 ** 20;
if (process.env.BENCH_HEAP_SNAPSHOT) (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
const sorted = [...steady].sort((a, b) => a - b);
const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}, Linux ${release()}, Node ${process.version}`);
console.log(`nodes ${nodes} (${2 * nodes} agents), k ${k}, ${warmRounds} rounds in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
console.log(
  `report ${byException ? 'exception' : 'results'}: ${Math.round(wireBytes / batches)} bytes per batch = ${Math.round((wireBytes / batches) * (60_000 / intervalMs))} bytes per agent per minute`,
);
console.log(
  `ingest: ${ingested} probes in ${ingestMs.toFixed(0)} ms CPU = ${Math.round(ingested / (ingestMs / 1000))} probes per CPU-second (decode, validation, model, store, view, mesh index); ${(ingestMs / warmRounds / 1000 / (intervalMs / 1000)).toFixed(2)} cores for ${nodes} nodes`,
);
console.log(
  `detector pass CPU time (rounds 3..${warmRounds}, one pass per simulated second): p50 ${p(0.5).toFixed(1)} ms, p95 ${p(0.95).toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms over ${steady.length} passes (first pass, building the mesh index: ${passes[0]!.toFixed(0)} ms)`,
);
console.log(
  `heap used after GC: ${heapMiB.toFixed(0)} MiB${gc ? '' : ' (run with --expose-gc for a GC first)'}; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
);

// Break one node: from the next simulated second on, every probe to and from it fails.
broken = Math.floor(nodes / 3);
const name = cluster.names[broken]!;
const seen = new Set<string>();
let found = false;
for (let second = 1; second <= 3 * stepsPerRound && !found; second++) {
  const open = step(warmRounds + Math.floor((second - 1) / stepsPerRound), (second - 1) % stepsPerRound);
  for (const id of open) seen.add(id);
  if (open.includes(`NodeIsolated:${name}`)) {
    found = true;
    const others = [...seen].filter((id) => !id.endsWith(`:${name}`));
    console.log(
      `broken ${name}: NodeIsolated after ${second} simulated s (${(second / (intervalMs / 1000)).toFixed(1)} probe intervals); findings about other nodes on the way: ${others.length ? others.join(', ') : 'none'}`,
    );
  }
}
if (!found) console.log(`broken ${name}: no NodeIsolated within 3 intervals; seen: ${[...seen].join(', ') || 'nothing'}`);
