// Precision at every moment, on the fake 4-node mesh through the findings engine (wired through
// the node life cycle's hold, as collector.ts does): evidence restarts at change points (a kernel
// change reported by a node) and its failures are voided at repair points (a root cause
// resolving), so results measured across a repair never blame the healthy pair left behind, and
// a one-way claim needs the way back to have worked after the way out began to fail.
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createLifecycleHold } from '../model/lifecycle-hold.ts';
import { createNodeLifecycle } from '../model/node-lifecycle.ts';
import { createTestCluster, startMs } from '../../../test/fixtures/cluster-fixtures.ts';
import { addPodAgents, runRounds, type MeshFaults, type ProbeLeg } from '../../../test/fixtures/probe-fixtures.ts';
import { defaultDetectors } from './index.ts';

function setup() {
  const cluster = createTestCluster({ nodes: 4 });
  addPodAgents(cluster);
  // Wired as collector.ts wires it: the engine sees the model through the node life cycle's hold.
  const logger = createSilentLogger();
  const lifecycle = createNodeLifecycle({
    model: cluster.model,
    logger,
    startedMs: startMs,
    startupWindowMs: 60_000,
    convergeGraceMs: 60_000,
    departingWindowMs: 20_000,
  });
  const hold = createLifecycleHold({ model: cluster.model, lifecycle });
  const engine = createFindingsEngine({ model: hold.model, detectors: hold.detectors(defaultDetectors()), now: cluster.clock.now, logger });
  const step = (rounds: number, faults: MeshFaults = {}) => {
    runRounds(cluster, rounds, faults);
    for (const name of cluster.names) cluster.model.agentHeartbeat(cluster.key(name));
    engine.evaluate();
    return engine.list();
  };
  /** Moves to `ms` after the last round, runs `act` there, and returns to the round's time, so the next round arrives `5000 - ms` after it (a round in flight). */
  const at = (ms: number, act: () => void) => {
    const round = cluster.clock.now();
    cluster.clock.advance(ms);
    act();
    engine.evaluate();
    cluster.clock.set(round);
  };
  return { cluster, engine, step, at };
}
const ids = (findings: { id: string }[]) => findings.map((f) => f.id);
const touches = (leg: ProbeLeg, node: string) => leg.source === node || leg.destination === node;
const routesMissing: MeshFaults = {
  path: (leg) =>
    leg.network !== 'pod' ? 'ok' : leg.source === 'node-2' ? 'request-lost' : leg.destination === 'node-2' ? 'reply-lost' : 'ok',
  dns: (source) => source === 'node-2',
};
// A round measured before a repair, still in flight when the repair lands: node-3's probes toward node-2 had failed.
const inFlightToward2: MeshFaults = {
  path: (leg) => (leg.network === 'pod' && leg.source === 'node-3' && leg.destination === 'node-2' ? 'reply-lost' : 'ok'),
};

describe('precision from onset to repair', () => {
  it('seed 002 repaired: failures measured before the repair do not open a finding about node-3 and node-2', () => {
    const { cluster, step, at } = setup();
    step(2);
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    expect(ids(step(3, routesMissing))).toEqual(['OverlayRouteMissing:node-2', 'NodeIsolated:node-2', 'DnsFailure:node-2']);
    at(2_000, () => cluster.reportHealthy('node-2'));
    expect(step(1, inFlightToward2)).toEqual([]);
    expect(cluster.model.snapshot().probes.failingPaths).toEqual([]);
    expect(step(2)).toEqual([]);
  });

  it('without the repair report, the same in-flight round does blame the pair (the test can fail)', () => {
    const { step } = setup();
    step(3);
    expect(
      ids(
        step(1, {
          path: (leg) => (leg.network === 'pod' && leg.source === 'node-3' && leg.destination === 'node-2' ? 'request-lost' : 'ok'),
        }),
      ),
    ).toEqual([]);
    expect(ids(step(1, inFlightToward2))).toEqual(['AsymmetricReachability:node-3:node-2']);
  });

  it('UDP drop repaired: when ProtocolBlocked resolves, a pair still failing from before does not open AsymmetricReachability', () => {
    const { cluster, step, at } = setup();
    step(2);
    const dropUdp: MeshFaults = {
      path: (leg) => (leg.network === 'host' && leg.protocol === 'udp' && touches(leg, 'node-3') ? 'request-lost' : 'ok'),
    };
    expect(ids(step(3, dropUdp))).toEqual(['ProtocolBlocked:node-3']);
    // The rule is gone; only node-2's round, measured before, still shows UDP to node-3 failing.
    const lingering: MeshFaults = {
      path: (leg) =>
        leg.network === 'host' && leg.protocol === 'udp' && leg.source === 'node-2' && leg.destination === 'node-3' ? 'request-lost' : 'ok',
    };
    at(0, () => undefined);
    const open = step(1, lingering);
    expect(open.filter((f) => f.nodes.some((n) => n !== 'node-3'))).toEqual([]);
    expect(step(2)).toEqual([]);
    expect(cluster.model.snapshot().probes.failingPaths).toEqual([]);
  });

  it('UDP drop whose onset round looked like an MTU black hole: the diagnosis is refined to ProtocolBlocked and stays, no root cause flaps', () => {
    const { step } = setup();
    step(3);
    const udpOnNode3 = (leg: ProbeLeg) => leg.network === 'host' && leg.protocol === 'udp' && touches(leg, 'node-3');
    // The rule landed mid-round: the small probes of that round had passed, the large ones not.
    const onset: MeshFaults = { path: (leg) => (udpOnNode3(leg) && leg.size === 'large' ? 'request-lost' : 'ok') };
    const dropUdp: MeshFaults = { path: (leg) => (udpOnNode3(leg) ? 'request-lost' : 'ok') };
    expect(ids(step(1, onset))).toEqual(['MtuBlackhole:node-3']);
    const seen: string[][] = [];
    for (let round = 0; round < 6; round++) seen.push(ids(step(1, dropUdp)));
    // The MTU finding resolving is not a repair: TCP's successes still count, so ProtocolBlocked
    // follows within two rounds (one discarded in flight) and holds; NodeIsolated never opens.
    expect(seen.slice(2)).toEqual(Array(4).fill(['ProtocolBlocked:node-3']));
    expect(seen.flat().filter((id) => !id.startsWith('ProtocolBlocked'))).toEqual([]);
  });

  it('a two-way block seen first from one side is not called one-way; a real one-way block is, a round later', () => {
    const { step } = setup();
    step(3);
    const outOnly: MeshFaults = {
      path: (leg) => (leg.network === 'host' && leg.source === 'node-1' && leg.destination === 'node-2' ? 'request-lost' : 'ok'),
    };
    const both: MeshFaults = {
      path: (leg) =>
        leg.network === 'host' &&
        ((leg.source === 'node-1' && leg.destination === 'node-2') || (leg.source === 'node-2' && leg.destination === 'node-1'))
          ? 'request-lost'
          : 'ok',
    };
    // Round 1: node-2's round toward node-1 predates the block; round 2: both ways fail.
    expect(ids(step(1, outOnly))).toEqual([]);
    expect(ids(step(1, both)).filter((id) => id.startsWith('AsymmetricReachability'))).toEqual([]);
    // A genuinely one-way block: named once the way back has worked for a round after it began.
    const { step: step2 } = setup();
    step2(3);
    expect(ids(step2(1, outOnly))).toEqual([]);
    expect(ids(step2(1, outOnly))).toEqual(['AsymmetricReachability:node-1:node-2']);
  });
});
