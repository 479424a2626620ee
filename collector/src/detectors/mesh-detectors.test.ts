// The mesh detectors together, through the findings engine, on a fake 4-node mesh with
// host and pod agents: each fault is named once, on the one broken node, with its root cause.
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import { createTestCluster, healthyLinks, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';
import { addPodAgents, runRounds, type MeshFaults, type ProbeLeg } from '../../../test/fixtures/probe-fixtures.ts';
import { defaultDetectors } from './index.ts';

function setup() {
  const cluster = createTestCluster({ nodes: 4 });
  addPodAgents(cluster);
  const engine = createFindingsEngine({
    model: cluster.model,
    detectors: defaultDetectors(),
    now: cluster.clock.now,
    logger: createSilentLogger(),
  });
  const step = (rounds: number, faults: MeshFaults = {}) => {
    runRounds(cluster, rounds, faults);
    for (const name of cluster.names) if (!faults.silent?.(name, 'host')) cluster.model.agentHeartbeat(cluster.key(name));
    engine.evaluate();
    return engine.list();
  };
  return { cluster, engine, step };
}
const ids = (findings: { id: string }[]) => findings.map((f) => f.id);
const touches = (leg: ProbeLeg, node: string) => leg.source === node || leg.destination === node;

// seed 002 on the pod network: node-2's requests never leave, replies to peers' requests never get back.
const routesMissing: MeshFaults = {
  path: (leg) =>
    leg.network !== 'pod' ? 'ok' : leg.source === 'node-2' ? 'request-lost' : leg.destination === 'node-2' ? 'reply-lost' : 'ok',
  dns: (source) => source === 'node-2',
};

describe('mesh detectors', () => {
  it('find nothing in a healthy mesh', () => {
    const { step } = setup();
    expect(step(6)).toEqual([]);
  });

  it('seed 002: OverlayRouteMissing explains NodeIsolated and DnsFailure, all about node-2, and all resolve on repair', () => {
    const { cluster, step } = setup();
    step(2);
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    expect(ids(step(1, routesMissing))).toEqual(['OverlayRouteMissing:node-2', 'NodeIsolated:node-2']);
    const open = step(2, routesMissing);
    expect(ids(open)).toEqual(['OverlayRouteMissing:node-2', 'NodeIsolated:node-2', 'DnsFailure:node-2']);
    expect(open.flatMap((f) => f.nodes)).toEqual(['node-2', 'node-2', 'node-2']);
    expect(open[0]!.explains).toEqual(['NodeIsolated:node-2', 'DnsFailure:node-2']);
    const isolated = open[1]!;
    expect(isolated.summary).toBe(
      'node-2 is isolated on the pod network (both directions, 3 of 3 peers): requests from node-2 never arrive (at node-1, node-3, node-4); node-2 receives requests from node-1, node-3, node-4 but its replies never arrive',
    );
    expect(isolated.evidence).toContain('pod: the rest of the mesh is healthy (6/6 pairs without node-2 pass)');
    expect(isolated.explains).toEqual(['DnsFailure:node-2']);
    expect(open[2]!.summary).toBe('DNS over UDP and TCP fails from node-2; other nodes resolve fine');
    cluster.reportHealthy('node-2');
    // Everything recovers with the first good round.
    expect(step(1)).toEqual([]);
  });

  it('UDP dropped on node-3 (TCP fine) is only ProtocolBlocked:node-3', () => {
    const { step } = setup();
    step(2);
    const dropUdp: MeshFaults = {
      path: (leg) => (leg.network === 'host' && leg.protocol === 'udp' && touches(leg, 'node-3') ? 'request-lost' : 'ok'),
    };
    const open = step(1, dropUdp);
    expect(ids(open)).toEqual(['ProtocolBlocked:node-3']);
    expect(open[0]!.summary).toBe(
      'UDP is blocked on node-3: UDP probes to and from 3 peers fail on the host network while TCP on the same paths succeeds',
    );
    expect(ids(step(3, dropUdp))).toEqual(['ProtocolBlocked:node-3']);
    expect(step(1)).toEqual([]);
  });

  it('UDP dropped on node-3 including VXLAN: ProtocolBlocked speaks for the pod network too and explains its DNS failure', () => {
    const { step } = setup();
    step(2);
    const dropAllUdp: MeshFaults = {
      path: (leg) => ((leg.network === 'pod' || leg.protocol === 'udp') && touches(leg, 'node-3') ? 'request-lost' : 'ok'),
      dns: (source) => source === 'node-3',
    };
    const open = step(4, dropAllUdp);
    expect(ids(open)).toEqual(['ProtocolBlocked:node-3', 'DnsFailure:node-3']);
    expect(open[0]!.explains).toEqual(['DnsFailure:node-3']);
    expect(open[0]!.evidence).toContain('pod network: node-3 is cut off too — the VXLAN overlay runs over UDP');
  });

  it('large probes to and from node-4 vanish: only MtuBlackhole:node-4, explained by MtuMismatch when the report shows why', () => {
    const { cluster, step } = setup();
    step(2);
    const mtu: MeshFaults = { path: (leg) => (leg.size === 'large' && touches(leg, 'node-4') ? 'request-lost' : 'ok') };
    let open = step(2, mtu);
    expect(ids(open)).toEqual(['MtuBlackhole:node-4']);
    expect(open[0]!.evidence).toContain('host: 1450 bytes fails, 72 bytes passes (peers: node-1, node-2, node-3)');
    const links = healthyLinks();
    links[2]!.mtu = 1450;
    cluster.model.agentReport(cluster.key('node-4'), nodeReport({ peersChecked: 3, links }));
    open = step(1, mtu);
    expect(ids(open)).toEqual(['MtuMismatch:node-4', 'MtuBlackhole:node-4']);
    expect(open[0]!.explains).toEqual(['MtuBlackhole:node-4']);
    expect(open[0]!.summary).toBe('node-4: flannel.1 MTU 1450 + 50 bytes VXLAN overhead exceeds eth0 MTU 1450');
  });

  it('a single one-way TCP block is AsymmetricReachability for that pair, after 2 TCP rounds', () => {
    const { step } = setup();
    step(3);
    const oneWay: MeshFaults = {
      path: (leg) =>
        leg.network === 'host' && leg.protocol === 'tcp' && leg.source === 'node-1' && leg.destination === 'node-3' ? 'request-lost' : 'ok',
    };
    expect(step(1, oneWay)).toEqual([]);
    const open = step(1, oneWay);
    expect(ids(open)).toEqual(['AsymmetricReachability:node-1:node-3']);
    expect(open[0]).toMatchObject({ nodes: ['node-1', 'node-3'], peer: 'node-3', severity: 'warning' });
    expect(open[0]!.summary).toBe('node-1 cannot reach node-3 over TCP, while node-3 reaches node-1');
    expect(open[0]!.evidence[0]).toMatch(/node-1→node-3 2\/3 failed \(requests never arrive\); node-3→node-1 3\/3 passed/);
  });

  it('a killed agent is AgentMissing, never NodeIsolated', () => {
    const { cluster, step } = setup();
    step(2);
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    cluster.model.agentDisconnected(cluster.key('node-4', 'pod'), 'pod-node-4');
    const killed: MeshFaults = { silent: (node) => node === 'node-4' };
    expect(step(2, killed)).toEqual([]);
    expect(ids(step(3, killed))).toEqual(['AgentMissing:node-4']);
  });

  it('DNS failing from every node is one finding about the resolver', () => {
    const { step } = setup();
    const open = step(3, { dns: (_source, protocol) => protocol === 'udp' });
    expect(ids(open)).toEqual(['DnsFailure:cluster']);
    expect(open[0]!.summary).toBe('DNS over UDP fails from every node (4 of 4): the resolver 10.96.0.10:53 is not answering');
  });

  it('conntrack nearly full or inserts failing is ConntrackPressure', () => {
    const { cluster, step } = setup();
    const report = nodeReport({ peersChecked: 3 });
    report.conntrack!.insertFailedTotal = 5n;
    cluster.model.agentReport(cluster.key('node-1'), report);
    const full = nodeReport({ peersChecked: 3 });
    Object.assign(full.conntrack!, { entries: 240_000n, insertFailedTotal: 9n });
    cluster.model.agentReport(cluster.key('node-1'), full);
    const open = step(1);
    expect(ids(open)).toEqual(['ConntrackPressure:node-1']);
    expect(open[0]!.summary).toBe(
      'node-1: conntrack table 92 % full (240000 of 262144 entries); 4 conntrack inserts failed since the previous report',
    );
  });
});
