import { describe, expect, it, vi } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createClusterModel } from './cluster-model.ts';
import {
  createTestCluster,
  hostHello,
  nodeIpOf,
  nodeReport,
  podCidrOf,
  podHello,
  vtepMacOf,
} from '../../../test/fixtures/cluster-fixtures.ts';

describe('cluster model', () => {
  it('knows every node that said hello, sorted, with its latest report', () => {
    const { model } = createTestCluster({ nodes: 3 });
    const snapshot = model.snapshot();
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    const node2 = snapshot.nodes[1]!;
    expect(node2.hostAgent?.connected).toBe(true);
    expect(node2.hostAgent?.report?.overlay?.peersChecked).toBe(2);
    expect(node2.podAgent).toBeUndefined();
    expect(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.nodes) && Object.isFrozen(node2.hostAgent)).toBe(true);
  });

  it('builds the peer set of a host agent from every other host node', () => {
    const { model } = createTestCluster({ nodes: 3 });
    const peerSet = model.peerSetFor({ node: 'node-2', network: 'host' });
    expect(peerSet.generation).toBe(model.membershipGeneration);
    expect(peerSet.peers.map((p) => p.nodeName)).toEqual(['node-1', 'node-3']);
    const peer = peerSet.peers[1]!;
    expect(peer).toMatchObject({
      network: Network.HOST,
      nodeIp: nodeIpOf('node-3'),
      podCidrs: [podCidrOf('node-3')],
      vtepMac: vtepMacOf('node-3'),
      probeAddress: nodeIpOf('node-3'),
      probePort: 7500,
    });
  });

  it('builds pod peer sets from pod agents, with the node IP of their host agent', () => {
    const { model } = createTestCluster({ nodes: 2 });
    model.agentConnected(podHello('node-1'), { connectionId: 'p1', peerAddress: 'x' });
    model.agentConnected(podHello('node-2'), { connectionId: 'p2', peerAddress: 'x' });
    const peers = model.peerSetFor({ node: 'node-1', network: 'pod' }).peers;
    expect(peers).toHaveLength(1);
    expect(peers[0]).toMatchObject({
      nodeName: 'node-2',
      network: Network.POD,
      nodeIp: nodeIpOf('node-2'),
      probeAddress: '198.18.2.5',
      vtepMac: '',
    });
  });

  it('gives a host agent the host peers and then the pod peers of other nodes, and a pod agent joining bumps the generation', () => {
    const { model } = createTestCluster({ nodes: 3 });
    const before = model.membershipGeneration;
    model.agentConnected(podHello('node-1'), { connectionId: 'p1', peerAddress: 'x' });
    model.agentConnected(podHello('node-3'), { connectionId: 'p3', peerAddress: 'x' });
    expect(model.membershipGeneration).toBe(before + 2n);
    const peers = model.peerSetFor({ node: 'node-1', network: 'host' }).peers;
    expect(peers.map((p) => `${p.nodeName}/${p.network === Network.POD ? 'pod' : 'host'}`)).toEqual([
      'node-2/host',
      'node-3/host',
      'node-3/pod',
    ]);
    expect(model.peerSetFor({ node: 'node-1', network: 'pod' }).peers.map((p) => p.nodeName)).toEqual(['node-3']);
  });

  it('with a membership source, only admitted nodes are peers; a flip enters or leaves every peer set at once, in one generation and delta', () => {
    const listed = new Set(['node-1', 'node-2', 'node-3']);
    const model = createClusterModel({ now: () => 1_000, nodeExpiryMs: 60_000, membership: { admits: (name) => listed.has(name) } });
    for (const name of ['node-1', 'node-2', 'node-3', 'node-4'])
      model.agentConnected(hostHello(name), { connectionId: name, peerAddress: 'x' });
    model.agentConnected(podHello('node-3'), { connectionId: 'p3', peerAddress: 'x' });
    // node-4 said hello but the source does not list it: it is no one's peer, yet it gets peers itself.
    expect(model.peerSetFor({ node: 'node-1', network: 'host' }).peers.map((p) => p.nodeName)).toEqual(['node-2', 'node-3', 'node-3']);
    expect(model.peerSetFor({ node: 'node-4', network: 'host' }).peers.map((p) => p.nodeName)).toEqual([
      'node-1',
      'node-2',
      'node-3',
      'node-3',
    ]);
    const base = model.membershipGeneration;
    listed.delete('node-3');
    model.admissionChanged(['node-3', 'node-1']);
    expect(model.membershipGeneration).toBe(base + 1n);
    expect(model.peerSetFor({ node: 'node-1', network: 'host' }).peers.map((p) => p.nodeName)).toEqual(['node-2']);
    const delta = model.peerSetUpdateFor({ node: 'node-1', network: 'host' }, { base });
    expect(delta).toMatchObject({ kind: 'delta', entries: 2 });
    // Nothing flipped: no generation.
    model.admissionChanged(['node-1', 'node-2', 'node-3', 'nobody']);
    expect(model.membershipGeneration).toBe(base + 1n);
    listed.add('node-3');
    listed.add('node-4');
    model.admissionChanged(['node-3', 'node-4']);
    expect(model.membershipGeneration).toBe(base + 2n);
    expect(model.peerSetFor({ node: 'node-1', network: 'host' }).peers.map((p) => p.nodeName)).toEqual([
      'node-2',
      'node-3',
      'node-4',
      'node-3',
    ]);
    // The snapshot keeps every node either way: detectors and the life cycle still see them.
    expect(model.snapshot().nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
  });

  it('bumps the membership generation only when peer-relevant data changes', () => {
    const { model } = createTestCluster({ nodes: 2 });
    const listener = vi.fn();
    model.onMembershipChange(listener);
    const before = model.membershipGeneration;
    // A reconnect with the same hello, reports and heartbeats change nothing for peers.
    model.agentDisconnected({ node: 'node-1', network: 'host' }, 'conn-node-1');
    model.agentConnected(hostHello('node-1'), { connectionId: 'again', peerAddress: 'x' });
    model.agentReport({ node: 'node-1', network: 'host' }, nodeReport({ peersChecked: 1 }));
    model.agentHeartbeat({ node: 'node-1', network: 'host' });
    expect(model.membershipGeneration).toBe(before);
    expect(listener).not.toHaveBeenCalled();
    // A new VTEP MAC (flannel restarted and recreated flannel.1) does.
    model.agentConnected(hostHello('node-1', { overlay: { ...hostHello('node-1').overlay!, vtepMac: '0a:58:c6:12:99:00' } }), {
      connectionId: 'mac',
      peerAddress: 'x',
    });
    expect(model.membershipGeneration).toBe(before + 1n);
    model.agentConnected(hostHello('node-5'), { connectionId: 'new', peerAddress: 'x' });
    expect(model.membershipGeneration).toBe(before + 2n);
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('replaces a second agent for the same key and ignores the late disconnect of the first', () => {
    const { model } = createTestCluster({ nodes: 2 });
    expect(model.agentConnected(hostHello('node-1'), { connectionId: 'second', peerAddress: 'x' })).toEqual({
      replaced: true,
      restarted: false,
    });
    model.agentDisconnected({ node: 'node-1', network: 'host' }, 'conn-node-1');
    expect(model.snapshot().nodes[0]!.hostAgent).toMatchObject({ connected: true, connectionId: 'second' });
    // The old report survives the reconnect until a fresh one arrives.
    expect(model.snapshot().nodes[0]!.hostAgent?.report).toBeDefined();
    model.agentDisconnected({ node: 'node-1', network: 'host' }, 'second');
    expect(model.snapshot().nodes[0]!.hostAgent?.connected).toBe(false);
    expect(model.agentConnected(hostHello('node-1'), { connectionId: 'third', peerAddress: 'x' })).toEqual({
      replaced: false,
      restarted: false,
    });
  });

  it('tracks last seen and last report times from the clock', () => {
    const { model, clock, key } = createTestCluster({ nodes: 2 });
    clock.advance(5_000);
    model.agentHeartbeat(key('node-1'));
    const agent = model.snapshot().nodes[0]!.hostAgent!;
    expect(agent.lastSeenMs - agent.lastReportMs!).toBe(5_000);
  });

  it('notifies state listeners on connect, report and disconnect but not on heartbeats', () => {
    const { model, key } = createTestCluster({ nodes: 2 });
    const listener = vi.fn();
    const unsubscribe = model.onStateChange(listener);
    model.agentHeartbeat(key('node-1'));
    expect(listener).not.toHaveBeenCalled();
    model.agentReport(key('node-1'), nodeReport({ peersChecked: 1 }));
    model.agentDisconnected(key('node-1'), 'conn-node-1');
    model.agentDisconnected(key('node-1'), 'conn-node-1');
    expect(listener).toHaveBeenCalledTimes(2);
    unsubscribe();
    model.agentConnected(hostHello('node-1'), { connectionId: 'x', peerAddress: 'x' });
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('ignores reports and heartbeats for unknown agents', () => {
    const model = createClusterModel({ now: () => 0, nodeExpiryMs: 1000 });
    model.agentReport({ node: 'ghost', network: 'host' }, nodeReport({ peersChecked: 0 }));
    model.agentHeartbeat({ node: 'ghost', network: 'host' });
    expect(model.snapshot().nodes).toEqual([]);
  });

  it('expires disconnected nodes silent longer than nodeExpiryMs and drops them from peer sets', () => {
    const { model, clock, key } = createTestCluster({ nodes: 3, nodeExpiryMs: 60_000 });
    model.agentDisconnected(key('node-3'), 'conn-node-3');
    clock.advance(30_000);
    model.agentHeartbeat(key('node-1'));
    model.expire();
    expect(model.snapshot().nodes).toHaveLength(3);
    const generation = model.membershipGeneration;
    clock.advance(30_001);
    model.expire();
    // node-1 and node-2 are still connected, so they stay however quiet they are.
    expect(model.snapshot().nodes.map((n) => n.name)).toEqual(['node-1', 'node-2']);
    expect(model.membershipGeneration).toBe(generation + 1n);
    expect(model.peerSetFor(key('node-1')).peers.map((p) => p.nodeName)).toEqual(['node-2']);
  });

  it('tells an agent restart (a new instance id) from a stream reconnect, and counts restarts', () => {
    const { model, clock } = createTestCluster({ nodes: 2 });
    const first = hostHello('node-1', { instanceId: 'a', startedAtUnixMs: 1n });
    expect(model.agentConnected(first, { connectionId: 'a1', peerAddress: 'x' })).toEqual({ replaced: true, restarted: false });
    // Same process, new stream (e.g. re-announcing an overlay device): not a restart.
    expect(model.agentConnected(first, { connectionId: 'a2', peerAddress: 'x' })).toEqual({ replaced: true, restarted: false });
    model.agentDisconnected({ node: 'node-1', network: 'host' }, 'a2');
    clock.advance(3_000);
    const second = hostHello('node-1', { instanceId: 'b', startedAtUnixMs: 2n });
    expect(model.agentConnected(second, { connectionId: 'b1', peerAddress: 'x' })).toEqual({ replaced: false, restarted: true });
    const agent = model.snapshot().nodes[0]!.hostAgent!;
    expect(agent).toMatchObject({ restarts: 1, restartedAtMs: clock.now() });
    expect(model.snapshot().nodes[1]!.hostAgent!.restarts).toBe(0);
  });

  it('dates a probe batch the agent held while the collector was unreachable back by held_ms', () => {
    const { model, key } = createTestCluster({ nodes: 2 });
    const result = { targetNode: 'node-2', protocol: ProbeProtocol.UDP, ok: false, sizeBytes: 32, targetNetwork: Network.HOST };
    const held = create(ProbeBatchSchema, { results: [result, result, result], intervalSeconds: 5, heldMs: 30_000 });
    model.agentProbeBatch(key('node-1'), held);
    // 30 s old failures are history (no state after 3 intervals), not a failing path now.
    expect(model.snapshot().probes.paths).toEqual([]);
    model.agentProbeBatch(key('node-1'), create(ProbeBatchSchema, { results: [result, result, result], intervalSeconds: 5 }));
    expect(model.snapshot().probes.paths[0]).toMatchObject({ failing: true, attempts: 3 });
  });
});
