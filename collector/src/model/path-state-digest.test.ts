// A report that changes a node's path state restarts its probe evidence (a change point);
// one that only moves counters does not.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConntrackSchema } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { addPodAgents, runRounds } from '../../../test/fixtures/probe-fixtures.ts';
import { pathStateDigest } from './path-state-digest.ts';
import { createTestCluster, healthyLinks, missingChain, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';

describe('path state digest and report change points', () => {
  it('differs on broken entries and link state or MTU, not on counters or the healthy digest', () => {
    const base = nodeReport({ peersChecked: 3 });
    const counters = nodeReport({ peersChecked: 3 });
    counters.conntrack = create(ConntrackSchema, { available: true, entries: 9_999n, maxEntries: 262144n });
    counters.overlay!.healthyDigest = 'moved';
    expect(pathStateDigest(counters)).toBe(pathStateDigest(base));
    expect(pathStateDigest(nodeReport({ peersChecked: 3, problems: [{ peer: 'node-1', parts: missingChain('node-1') }] }))).not.toBe(
      pathStateDigest(base),
    );
    const lowMtu = healthyLinks().map((l) => (l.name === 'eth0' ? { ...l, mtu: 1450 } : l));
    expect(pathStateDigest(nodeReport({ peersChecked: 3, links: lowMtu }))).not.toBe(pathStateDigest(base));
  });

  it('a changed report drops every attempt from and to the node; an unchanged one keeps them', () => {
    const cluster = createTestCluster({ nodes: 4 });
    addPodAgents(cluster);
    runRounds(cluster, 2);
    const touching = (node: string) =>
      cluster.model.snapshot().probes.paths.filter((p) => p.source === node || p.destination === node).length;
    expect(touching('node-2')).toBeGreaterThan(0);
    cluster.reportHealthy('node-2');
    expect(touching('node-2')).toBeGreaterThan(0);
    cluster.reportMissing('node-2', ['node-1']);
    expect(touching('node-2')).toBe(0);
    expect(touching('node-1')).toBeGreaterThan(0);
    // The next round (one interval on) counts again.
    runRounds(cluster, 1);
    expect(touching('node-2')).toBeGreaterThan(0);
  });
});
