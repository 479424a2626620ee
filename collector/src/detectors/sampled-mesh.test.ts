// The mesh detectors on a sampled mesh: 500 nodes (host agents; pod agents would double the
// work without changing the logic, which mesh-detectors.test.ts covers), each agent probing
// the agents' real rotating sample of 32 peer nodes per round plus its suspects. One broken
// node must still be named alone, within 2 rounds, and resolve on repair.
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createTestCluster } from '../../../test/fixtures/cluster-fixtures.ts';
import { createMeshSampling, runRounds, type MeshFaults } from '../../../test/fixtures/probe-fixtures.ts';
import { defaultDetectors } from './index.ts';

function setup(nodes: number, sampleSize: number) {
  const cluster = createTestCluster({ nodes });
  const sampling = createMeshSampling(sampleSize);
  const engine = createFindingsEngine({
    model: cluster.model,
    detectors: defaultDetectors(),
    now: cluster.clock.now,
    logger: createSilentLogger(),
  });
  const step = (faults: MeshFaults = {}) => {
    runRounds(cluster, 1, faults, 5, sampling);
    for (const name of cluster.names) cluster.model.agentHeartbeat(cluster.key(name));
    engine.evaluate();
    return engine.list().map((f) => f.id);
  };
  return { cluster, step };
}

describe('mesh detectors on a sampled mesh (N=500, k=32)', { timeout: 120_000 }, () => {
  it('name one broken node alone within 2 rounds, and resolve it within 2 rounds of repair', () => {
    const { cluster, step } = setup(500, 32);
    for (let r = 0; r < 4; r++) expect(step()).toEqual([]);
    // The agents really sample: a host agent probes at most 32 + suspects of 499 peer nodes.
    const stats = cluster.model.snapshot().probes;
    expect(stats.agents.every((a) => a.sampleRounds === 16)).toBe(true);
    const fresh = stats.paths.filter((p) => p.source === 'node-1' && p.protocol === 'tcp').length;
    expect(fresh).toBeGreaterThan(32);
    expect(fresh).toBeLessThanOrEqual(2 * 32); // fresh for 1.5 intervals: this round and the one before

    // node-137 drops everything: nothing in or out.
    const broken = 'node-137';
    const cut: MeshFaults = { path: (leg) => (leg.source === broken ? 'request-lost' : leg.destination === broken ? 'reply-lost' : 'ok') };
    const seen: string[][] = [];
    for (let r = 0; r < 2; r++) seen.push(step(cut));
    expect(seen.at(-1)).toEqual([`NodeIsolated:${broken}`]);
    // Never anything about another node on the way.
    expect(seen.flat().every((id) => id.endsWith(`:${broken}`))).toBe(true);

    const repaired: string[][] = [];
    for (let r = 0; r < 2; r++) repaired.push(step());
    expect(repaired.at(-1)).toEqual([]);
  });

  it('name one node with UDP blocked as ProtocolBlocked alone', () => {
    const { step } = setup(500, 32);
    for (let r = 0; r < 3; r++) expect(step()).toEqual([]);
    const node = 'node-401';
    const udpBlocked: MeshFaults = {
      path: (leg) => (leg.protocol === 'udp' && (leg.source === node || leg.destination === node) ? 'request-lost' : 'ok'),
    };
    step(udpBlocked);
    const open = step(udpBlocked);
    expect(open.length).toBeGreaterThan(0);
    expect(open.every((id) => id.endsWith(`:${node}`))).toBe(true);
    expect(open).toContain(`ProtocolBlocked:${node}`);
  });
});
