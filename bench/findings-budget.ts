// What one node's findings cost the collector, with and without --max-findings-per-node:
// the real findings engine fed K candidates that all name one node (the shape a per-pair kind
// such as AsymmetricReachability takes when one node's reports say it fails one way toward K
// peers), evaluated every simulated second. Reports what is stored (findings listed, bytes of
// GET /api/v1/findings?state=all) and the pass time, for the budget off (0) and on (100).
// Usage: node --expose-gc bench/findings-budget.ts [--findings 5000] [--passes 20]
import { performance } from 'node:perf_hooks';
import { createSilentLogger } from '../shared/src/logger.ts';
import type { Detector, FindingCandidate } from '../collector/src/detectors/finding-candidate.ts';
import { createFindingsEngine } from '../collector/src/findings/findings-engine.ts';
import { createTestCluster } from '../test/fixtures/cluster-fixtures.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const count = arg('findings', 5000);
const passes = arg('passes', 20);
const gc = (globalThis as { gc?: () => void }).gc;

function run(maxFindingsPerNode: number) {
  const cluster = createTestCluster();
  // Each pass the peers that "fail" shift by one, so findings open and resolve like a live attack.
  let shift = 0;
  const flood: Detector = {
    kind: 'AsymmetricReachability',
    detect: (): FindingCandidate[] =>
      Array.from({ length: count }, (_, i) => {
        const peer = `peer-${(i + shift) % (2 * count)}`;
        return {
          id: `AsymmetricReachability:made-up:${peer}`,
          kind: 'AsymmetricReachability',
          severity: 'warning',
          nodes: ['made-up', peer],
          peer,
          summary: `made-up cannot reach ${peer} over UDP, while ${peer} reaches made-up`,
          evidence: [`pod UDP: made-up→${peer} 6/6 failed; ${peer}→made-up 6/6 passed`],
          remediation: ['Look for a one-way rule: nft list ruleset on both nodes.'],
          explains: [],
        };
      }),
  };
  let dropped = 0;
  const engine = createFindingsEngine({
    model: cluster.model,
    detectors: [flood],
    now: cluster.clock.now,
    logger: createSilentLogger(),
    maxFindingsPerNode,
    findingsDropped: (_node, _now, fresh) => void (dropped += fresh),
  });
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const times: number[] = [];
  for (let p = 0; p < passes; p++) {
    cluster.clock.advance(1_000);
    const started = performance.now();
    engine.evaluate();
    times.push(performance.now() - started);
    shift += 1;
  }
  const all = engine.list({ state: 'all' });
  const open = engine.list().length;
  const bytes = Buffer.byteLength(JSON.stringify({ findings: all }));
  gc?.();
  const heapMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  times.sort((a, b) => a - b);
  return {
    maxFindingsPerNode,
    open,
    kept: all.length,
    apiBytes: bytes,
    heapMiB: Number(heapMiB.toFixed(1)),
    passP50Ms: Number(times[Math.floor(times.length / 2)]!.toFixed(1)),
    passMaxMs: Number(times.at(-1)!.toFixed(1)),
    countedAsDropped: dropped,
  };
}

console.log(JSON.stringify({ candidatesPerPass: count, passes, runs: [run(0), run(100)] }, null, 1));
