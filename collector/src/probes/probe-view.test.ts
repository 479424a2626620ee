// The view's per-node totals are kept incrementally (every state change adds and subtracts);
// they must equal the plain sum over the current states, through faults, repairs, sampled
// paths going stale and an agent going away.
import { describe, expect, it } from 'vitest';
import { createTestCluster } from '../../../test/fixtures/cluster-fixtures.ts';
import { addPodAgents, createMeshSampling, runRounds, type MeshFaults } from '../../../test/fixtures/probe-fixtures.ts';
import { nodeTotalsOf, type NodeProbeTotals } from './probe-view.ts';

const sorted = (list: readonly NodeProbeTotals[]) =>
  [...list].sort((a, b) => `${a.node}|${a.network}|${a.protocol}`.localeCompare(`${b.node}|${b.network}|${b.protocol}`));

describe('probe view totals', () => {
  for (const sampleSize of [0, 3]) {
    it(`equal the sum over the current path states (${sampleSize ? `sampled, k=${sampleSize}` : 'full mesh'})`, () => {
      const cluster = createTestCluster({ nodes: 8 });
      addPodAgents(cluster);
      const sampling = sampleSize ? createMeshSampling(sampleSize) : undefined;
      const faults: MeshFaults[] = [
        {},
        { path: (leg) => (leg.source === 'node-3' || leg.destination === 'node-3' ? 'request-lost' : 'ok') },
        { path: (leg) => (leg.protocol === 'udp' && leg.destination === 'node-5' ? 'reply-lost' : 'ok') },
        { silent: (node) => node === 'node-7' },
        {},
      ];
      let compared = 0;
      for (const fault of faults) {
        for (let r = 0; r < 3; r++) {
          runRounds(cluster, 1, fault, 5, sampling);
          const view = cluster.model.snapshot().probes;
          expect(sorted(view.nodeTotals)).toEqual(sorted(nodeTotalsOf(view.paths)));
          expect(view.failingPaths.length).toBe(view.paths.filter((p) => p.failing).length);
          compared += view.paths.length;
        }
      }
      expect(compared).toBeGreaterThan(100);
    });
  }
});
