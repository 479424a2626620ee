import { describe, expect, it } from 'vitest';
import { OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createTestCluster, hostHello, nodeReport, vtepMacOf } from '../../../test/fixtures/cluster-fixtures.ts';
import { peerAnnouncedSettleMs } from './overlay-route-missing.ts';
import { defaultDetectors } from './index.ts';

const oldMac = '0a:58:c6:12:99:99';
const wrongMacToward = (peer: string) => [
  {
    part: OverlayPart.NEIGHBOR,
    problem: Problem.WRONG_MAC,
    expected: `198.18.2.0 dev flannel.1 lladdr ${vtepMacOf(peer)} PERMANENT`,
    actual: `198.18.2.0 dev flannel.1 lladdr ${oldMac} PERMANENT`,
  },
];

function setup() {
  const cluster = createTestCluster({ nodes: 4 });
  // Past the settle time of the agents' first hello.
  cluster.clock.advance(peerAnnouncedSettleMs);
  const engine = createFindingsEngine({
    model: cluster.model,
    detectors: defaultDetectors(),
    now: cluster.clock.now,
    logger: createSilentLogger(),
  });
  const wrongToward2 = (node: string) =>
    cluster.model.agentReport(
      cluster.key(node),
      nodeReport({ peersChecked: 3, problems: [{ peer: 'node-2', parts: wrongMacToward('node-2') }] }),
    );
  return { cluster, engine, wrongToward2 };
}

describe('OverlayPeerDisagreement', () => {
  it('when every peer holds a wrong MAC toward node-2: one root cause on node-2 with before/after, the peers linked as its symptoms', () => {
    const { engine, wrongToward2 } = setup();
    for (const node of ['node-1', 'node-3', 'node-4']) wrongToward2(node);
    engine.evaluate();
    const [root, ...rest] = engine.list();
    expect(root).toMatchObject({ id: 'OverlayPeerDisagreement:node-2', nodes: ['node-2'], severity: 'critical' });
    expect(root!.summary).toBe(
      '3 of 3 peers hold missing or wrong overlay entries toward node-2 (neighbor wrong MAC: expected 198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT, found 198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:99:99 PERMANENT): node-2 changed or its record disagrees',
    );
    expect(root!.evidence.join('\n')).toContain(`before (what the peers still hold): 198.18.2.0 dev flannel.1 lladdr ${oldMac} PERMANENT`);
    expect(root!.evidence.join('\n')).toContain(
      `after (what node-2's record says the peers should hold): 198.18.2.0 dev flannel.1 lladdr ${vtepMacOf('node-2')} PERMANENT`,
    );
    expect(root!.remediation.join('\n')).toMatch(/kubectl get node node-2/);
    expect(root!.explains.sort()).toEqual(['OverlayRouteMissing:node-1', 'OverlayRouteMissing:node-3', 'OverlayRouteMissing:node-4']);
    expect(rest.map((f) => f.id)).toEqual(['OverlayRouteMissing:node-1', 'OverlayRouteMissing:node-3', 'OverlayRouteMissing:node-4']);
  });

  it('one peer alone pointing at node-2 is that peer’s own OverlayRouteMissing', () => {
    const { engine, wrongToward2 } = setup();
    wrongToward2('node-4');
    engine.evaluate();
    expect(engine.list().map((f) => f.id)).toEqual(['OverlayRouteMissing:node-4']);
  });
});

describe('OverlayPeerDisagreement witnesses', () => {
  it('a node missing its routes to every peer (seed 002) does not count as a witness against one of them', () => {
    const { cluster, engine } = setup();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    cluster.reportMissing('node-3', ['node-1']);
    engine.evaluate();
    expect(engine.list().map((f) => f.id)).toEqual(['OverlayRouteMissing:node-2', 'OverlayRouteMissing:node-3']);
  });
});

describe('a peer that just re-announced itself', () => {
  it('keeps the witnesses and the root cause pending (not listed) while the peer settles, then opens the root cause with its symptoms', () => {
    const { cluster, engine, wrongToward2 } = setup();
    cluster.clock.advance(10_000);
    cluster.model.agentConnected(hostHello('node-2', { instanceId: 'same' }), { connectionId: 'conn-node-2b', peerAddress: 'x' });
    wrongToward2('node-1');
    engine.evaluate();
    expect(engine.list()).toEqual([]);
    expect(engine.list({ state: 'all' }).map((f) => [f.id, f.state])).toEqual([['OverlayRouteMissing:node-1', 'pending']]);
    cluster.clock.advance(200);
    wrongToward2('node-3');
    wrongToward2('node-4');
    engine.evaluate();
    expect(engine.list()).toEqual([]);
    expect(engine.list({ state: 'all' }).map((f) => f.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    // Once settled (the disagreement outlasted the peers' re-verification), the root cause and its symptoms open.
    cluster.clock.advance(peerAnnouncedSettleMs);
    engine.evaluate();
    const [root, ...symptoms] = engine.list();
    expect(root!.explains.sort()).toEqual(symptoms.map((f) => f.id));
    expect(symptoms.map((f) => f.id)).toEqual(['OverlayRouteMissing:node-1', 'OverlayRouteMissing:node-3', 'OverlayRouteMissing:node-4']);
  });

  it('a lone witness opens once the settle time has passed', () => {
    const { cluster, engine, wrongToward2 } = setup();
    cluster.clock.advance(10_000);
    cluster.model.agentConnected(hostHello('node-2'), { connectionId: 'conn-node-2b', peerAddress: 'x' });
    wrongToward2('node-1');
    engine.evaluate();
    expect(engine.list()).toEqual([]);
    cluster.clock.advance(peerAnnouncedSettleMs);
    engine.evaluate();
    expect(engine.list().map((f) => f.id)).toEqual(['OverlayRouteMissing:node-1']);
  });
});
