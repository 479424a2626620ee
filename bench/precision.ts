// The precision harness as a benchmark: every lab fault (test/harness/precision-faults.ts)
// back to back with host and pod agents, findings polled every 200 ms from injection through
// repair + 10 s, `--rounds` times over, at the agents' `--interval` (default 5 s, the
// production default; the e2e test runs 2 s). Prints one table row per fault and round:
// time to the correct diagnosis, findings naming a healthy node, time to clean after repair.
// `--faults 5,6` runs only those (1-based, in precision-faults.ts order), e.g. to repeat one fault
// after the fault before it.
// Usage (root): node bench/precision.ts [--interval 5] [--rounds 1] [--faults 5,6] [--json out.json]
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg, release } from 'node:os';
import { precisionFaults } from '../test/harness/precision-faults.ts';
import { precisionTable, preparePrecisionFaults, runPrecisionFault, type PrecisionResult } from '../test/harness/precision.ts';
import { startStack, waitFor } from '../test/harness/stack.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const intervalSeconds = Number(arg('interval') ?? 5);
const rounds = Number(arg('rounds') ?? 1);
const only = arg('faults')?.split(',');
const faults = only ? precisionFaults.filter((_, i) => only.includes(String(i + 1))) : precisionFaults;

const stack = await startStack({
  nodes: 4,
  podAgents: true,
  dnsPod: 'node-1-pod-1',
  // The grace as in the e2e test (3 intervals): a changed VTEP MAC is a CNI restart, held until it ends.
  collectorArgs: [
    '--agent-missing-after',
    `${Math.max(5, intervalSeconds * 2)}s`,
    '--converge-grace',
    `${Math.max(6, intervalSeconds * 3)}s`,
  ],
  agentArgs: ['--probe-interval', `${intervalSeconds}s`],
  podAgentArgs: ['--probe-interval', `${intervalSeconds}s`],
});
const stop = () => void stack.teardown().then(() => process.exit(130));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
const results: PrecisionResult[] = [];
const cleanupFaults = await preparePrecisionFaults(stack, faults);
try {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}, load ${loadavg()[0]!.toFixed(1)}; probe interval ${intervalSeconds} s`,
  );
  await waitFor(
    'a full, healthy probe matrix',
    async () => {
      const { matrices } = await stack.getJson<{ matrices: { cells: { attempts: number }[] }[] }>('/api/v1/matrix');
      return (
        matrices.length >= 4 &&
        matrices.every((m) => m.cells.filter((c) => c.attempts > 0).length >= 12) &&
        (await stack.findings()).length === 0
      );
    },
    120_000,
    500,
  );
  for (let round = 0; round < rounds; round++) {
    for (const fault of faults) {
      results.push(
        await runPrecisionFault(stack, fault, {
          diagnosisTimeoutMs: 8 * intervalSeconds * 1000,
          holdAfterDiagnosisMs: 3 * intervalSeconds * 1000,
        }),
      );
    }
  }
  console.log(precisionTable(results));
  console.log(`load at the end: ${loadavg()[0]!.toFixed(1)}`);
  const out = arg('json');
  if (out) await writeFile(out, JSON.stringify(results, null, 2));
} finally {
  await cleanupFaults();
  await stack.teardown();
}
