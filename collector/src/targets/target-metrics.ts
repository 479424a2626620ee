// Target metrics, registered with --targets-file: O(targets) series, never per node × address
// (the findings name the nodes). Computed from the store at scrape time.
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
        const counts = { service: 0, endpoint: 0 };
        for (const node of deps.store.nodes()) {
          const history = deps.store.history(node);
          if (!history) continue;
          if (judgeAddress(history.get(addressKey(spec.name, spec.address)), options).verdict === 'failing') counts.service++;
          for (const ep of spec.endpoints)
            if (judgeAddress(history.get(addressKey(spec.name, ep)), options).verdict === 'failing') counts.endpoint++;
        }
        this.set({ target: spec.name, path: 'service' }, counts.service);
        if (spec.endpoints.length > 0) this.set({ target: spec.name, path: 'endpoint' }, counts.endpoint);
      }
    },
  });
}
