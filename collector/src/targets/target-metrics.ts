// Target metrics, registered with --targets-file: O(targets) series, never per node × address
// (the findings name the nodes). Computed at scrape time from the store's index of failing nodes.
import { Gauge, type Registry } from 'prom-client';
import { judgeAddress } from './target-judgement.ts';
import { addressKey, type TargetStore } from './target-store.ts';
import type { TargetSpec } from './targets-file.ts';

export function registerTargetMetrics(
  registry: Registry,
  deps: { store: TargetStore; specs: () => readonly TargetSpec[]; now: () => number; staleMs: number },
): void {
  const registers = [registry];
  new Gauge({
    name: 'netsentry_targets',
    help: 'Targets in the target set (--targets-file).',
    registers,
    collect() {
      this.set(deps.specs().length);
    },
  });
  new Gauge({
    name: 'netsentry_target_failing_paths',
    help: 'Source nodes × addresses of a target failing now (two probes in a row): path "service" is the Service address, "endpoint" its endpoints probed directly.',
    labelNames: ['target', 'path'],
    registers,
    collect() {
      this.reset();
      const options = { nowMs: deps.now(), staleMs: deps.staleMs, graceMs: 0 };
      for (const spec of deps.specs()) {
        // Only nodes whose latest outcome is a failure can be failing: the store's index lists them.
        const failingFrom = (address: string): number => {
          const key = addressKey(spec.name, address);
          let count = 0;
          for (const node of deps.store.failing(key) ?? [])
            if (judgeAddress(deps.store.history(node)?.get(key), options).verdict === 'failing') count++;
          return count;
        };
        this.set({ target: spec.name, path: 'service' }, failingFrom(spec.address));
        if (spec.endpoints.length > 0)
          this.set(
            { target: spec.name, path: 'endpoint' },
            spec.endpoints.reduce((n, ep) => n + failingFrom(ep), 0),
          );
      }
    },
  });
}
