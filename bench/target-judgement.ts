// The target detectors' pass at scale, in one process: N nodes' pod agents each report every
// address of T targets × E endpoints (three rounds, one node failing one endpoint, or with
// --all every endpoint: every target then has a failing address), then the real store,
// judgement and both detectors run --passes times. Reports the pass p50/max, histories kept,
// heap used, and the findings (must name only the one broken node).
// Usage: node --expose-gc bench/target-judgement.ts [--nodes 5000] [--targets 10] [--endpoints 5] [--passes 20] [--all]
import { create } from '@bufbuild/protobuf';
import { performance } from 'node:perf_hooks';
import { TargetBatchSchema } from '../shared/src/gen/netsentry/v1/target_pb.js';
import { createTargetDetectors } from '../collector/src/detectors/target-detectors.ts';
import { defaultDetectorConfig } from '../collector/src/detectors/finding-candidate.ts';
import type { ClusterSnapshot, NodeState } from '../collector/src/model/cluster-snapshot.ts';
import { createTargetStore } from '../collector/src/targets/target-store.ts';
import type { TargetSpec } from '../collector/src/targets/targets-file.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const nodes = arg('nodes', 5000);
const targetCount = arg('targets', 10);
const endpointCount = arg('endpoints', 5);
const passes = arg('passes', 20);

const specs: TargetSpec[] = Array.from({ length: targetCount }, (_, t) => ({
  name: `ns/svc-${t}`,
  protocol: 'tcp',
  address: `198.19.0.${t + 1}:80`,
  query: '',
  endpoints: Array.from({ length: endpointCount }, (_, e) => `198.18.${e + 1}.${t + 10}:8080`),
}));
const names = Array.from({ length: nodes }, (_, i) => `node-${i + 1}`);
const everyEndpoint = process.argv.includes('--all');
const broken = { node: 'node-7', addresses: new Set(everyEndpoint ? specs.flatMap((s) => s.endpoints) : [specs[0]!.endpoints[0]!]) };
const store = createTargetStore(specs);
const startMs = 1_000_000;
// The batches are built first, so the ingest time is the store's own.
const batches = [0, 1, 2].map((round) =>
  names.map((node) =>
    create(TargetBatchSchema, {
      results: specs.flatMap((s) =>
        [s.address, ...s.endpoints].map((address) => {
          const fail = round > 0 && node === broken.node && broken.addresses.has(address);
          return { target: s.name, address, ok: !fail, error: fail ? 'timeout' : '' };
        }),
      ),
    }),
  ),
);
const ingestStarted = performance.now();
for (const [round, nodeBatches] of batches.entries())
  for (const [i, node] of names.entries()) store.ingest(node, 'i1', nodeBatches[i]!, startMs + round * 2_000 + i * 0.1);
const ingestMs = performance.now() - ingestStarted;
const nowMs = startMs + 3 * 2_000 + nodes * 0.1 + 100;
const nodeStates = names.map(
  (name, i) =>
    ({
      name,
      podAgent: {
        network: 'pod',
        connected: true,
        lastSeenMs: nowMs,
        connectedSinceMs: startMs,
        hello: { podCidrs: [`198.18.${(i % 250) + 1}.0/24`] },
      },
    }) as unknown as NodeState,
);
const detectors = createTargetDetectors({ store, specs: () => specs, graceMs: 0, staleMs: 60_000 }, defaultDetectorConfig);
const times: number[] = [];
let findings: string[] = [];
for (let p = 0; p < passes; p++) {
  // A fresh snapshot object per pass, as the findings engine takes one per evaluation.
  const snapshot = { nowMs, nodes: nodeStates, probes: {} } as unknown as ClusterSnapshot;
  const started = performance.now();
  findings = detectors.flatMap((d) => d.detect(snapshot)).map((f) => `${f.id} [${f.nodes.join(',')}]`);
  times.push(performance.now() - started);
}
(globalThis as { gc?: () => void }).gc?.();
times.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    nodes,
    targets: targetCount,
    endpointsPerTarget: endpointCount,
    failingAddresses: broken.addresses.size,
    histories: store.size,
    ingestMsPerRound: +(ingestMs / 3).toFixed(1),
    passP50Ms: +times[Math.floor(times.length / 2)]!.toFixed(1),
    passMaxMs: +times.at(-1)!.toFixed(1),
    heapUsedMiB: +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1),
    findings,
  }),
);
