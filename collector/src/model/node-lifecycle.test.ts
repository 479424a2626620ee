import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../shared/src/logger.ts';
import { defaultDetectors } from '../detectors/index.ts';
import { createLifecycleHold } from './lifecycle-hold.ts';
import { createNodeLifecycle, type LifecycleApiView } from './node-lifecycle.ts';
import { create } from '@bufbuild/protobuf';
import { OverlayDeviceSchema, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import {
  createTestCluster,
  hostHello,
  missingChain,
  nodeIpOf,
  nodeReport,
  startMs,
  type TestCluster,
} from '../../../test/fixtures/cluster-fixtures.ts';

const logger = createLogger({ name: 'test', level: 'error' });

function setUp(cluster: TestCluster, options: { startedMs?: number; api?: LifecycleApiView } = {}) {
  const lifecycle = createNodeLifecycle({
    model: cluster.model,
    logger,
    startedMs: options.startedMs ?? startMs,
    startupWindowMs: 60_000,
    convergeGraceMs: 60_000,
    departingWindowMs: 20_000,
    ...(options.api ? { api: options.api } : {}),
  });
  const hold = createLifecycleHold({ model: cluster.model, lifecycle });
  const detectors = hold.detectors(defaultDetectors());
  const findings = () => {
    const snapshot = hold.model.snapshot();
    return detectors
      .flatMap((d) => d.detect(snapshot))
      .map((f) => f.id)
      .sort();
  };
  return { lifecycle, findings };
}

/** `node` reports at the model's current peer-set generation. */
function report(cluster: TestCluster, node: string, missing: string[] = []) {
  const peersChecked = cluster.model.snapshot().nodes.filter((n) => n.name !== node && n.hostAgent).length;
  const message = nodeReport({ peersChecked, problems: missing.map((peer) => ({ peer, parts: missingChain(peer) })) });
  message.peerSetGeneration = cluster.model.membershipGeneration;
  cluster.model.agentReport(cluster.key(node), message);
}

describe('node life cycle without the API', () => {
  it('concludes node-4 left once its agent is gone and every peer removed its chain toward it: no finding, out of the peer sets', () => {
    const cluster = createTestCluster();
    const { findings } = setUp(cluster);
    expect(findings()).toEqual([]);
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    cluster.reportMissing('node-1', ['node-4']);
    cluster.reportMissing('node-2', ['node-4']);
    // One peer still holds its entries: not yet concluded, but held while departing.
    expect(findings()).toEqual([]);
    expect(cluster.model.snapshot().nodes.map((n) => n.name)).toContain('node-4');
    cluster.reportMissing('node-3', ['node-4']);
    expect(findings()).toEqual([]);
    // An agent reconnecting to re-announce its node is not a node leaving: not before 2 s.
    expect(cluster.model.snapshot().nodes.map((n) => n.name)).toContain('node-4');
    cluster.clock.advance(2_000);
    expect(findings()).toEqual([]);
    const snapshot = cluster.model.snapshot();
    expect(snapshot.nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(snapshot.departed?.map((d) => d.name)).toEqual(['node-4']);
    expect(cluster.model.peerSetFor(cluster.key('node-1')).peers.map((p) => p.nodeName)).toEqual(['node-2', 'node-3']);
    // Long after: still nothing.
    cluster.clock.advance(120_000);
    for (const peer of ['node-1', 'node-2', 'node-3']) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual([]);
    // Back again: a member once more, no longer departed.
    cluster.model.agentConnected(hostHello('node-4'), { connectionId: 'again', peerAddress: `${nodeIpOf('node-4')}:1` });
    expect(cluster.model.snapshot().departed).toEqual([]);
  });

  it('a crashed agent whose peers keep their entries is departing for the window, then AgentMissing', () => {
    const cluster = createTestCluster();
    const { findings, lifecycle } = setUp(cluster);
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('node-4')?.state).toBe('departing');
    cluster.clock.advance(20_001);
    for (const peer of ['node-1', 'node-2', 'node-3']) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual(['AgentMissing:node-4']);
    expect(cluster.model.snapshot().nodes.map((n) => n.name)).toContain('node-4');
  });

  it('a route lost toward a departing node shows once the window is over', () => {
    const cluster = createTestCluster();
    const { findings } = setUp(cluster);
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    cluster.reportMissing('node-1', ['node-4']);
    expect(findings()).toEqual([]);
    cluster.clock.advance(20_001);
    for (const peer of ['node-1', 'node-2', 'node-3']) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual(['AgentMissing:node-4', 'OverlayRouteMissing:node-1']);
  });

  it('holds a joining node and its peers until the overlay converged, then a fault shows at once', () => {
    const cluster = createTestCluster();
    const { findings, lifecycle } = setUp(cluster);
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of cluster.names) cluster.model.agentHeartbeat(cluster.key(peer));
    cluster.model.agentConnected(hostHello('node-5'), { connectionId: 'conn-node-5', peerAddress: `${nodeIpOf('node-5')}:1` });
    report(cluster, 'node-5', ['node-1', 'node-2', 'node-3', 'node-4']);
    for (const peer of cluster.names) report(cluster, peer, ['node-5']);
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('node-5')).toMatchObject({ state: 'joining', reason: 'first seen' });
    // node-1 has a real fault toward node-2 meanwhile: not held.
    report(cluster, 'node-1', ['node-2', 'node-5']);
    expect(findings()).toEqual(['OverlayRouteMissing:node-1']);
    report(cluster, 'node-1');
    report(cluster, 'node-5');
    expect(findings()).toEqual([]);
    expect(lifecycle.held.has('node-5')).toBe(true); // node-2..4 still lack node-5
    for (const peer of ['node-2', 'node-3', 'node-4']) report(cluster, peer);
    expect(findings()).toEqual([]);
    expect(lifecycle.held.has('node-5')).toBe(false);
    report(cluster, 'node-2', ['node-5']);
    expect(findings()).toEqual(['OverlayRouteMissing:node-2']);
  });

  it('with the API: a joining node without its overlay device whose Node says flannel vxlan is held as waiting for its CNI, not as "overlay: none"', () => {
    const cluster = createTestCluster();
    const api: LifecycleApiView = {
      deleted: new Map(),
      isDeleting: () => false,
      expectedOverlay: (name) => (name === 'node-5' || name === 'node-6' ? 'flannel vxlan (annotation)' : undefined),
    };
    const { findings, lifecycle } = setUp(cluster, { api });
    cluster.clock.advance(61_000);
    for (const peer of cluster.names) cluster.model.agentHeartbeat(cluster.key(peer));
    cluster.model.agentConnected(hostHello('node-5', { overlay: undefined }), {
      connectionId: 'conn-node-5',
      peerAddress: `${nodeIpOf('node-5')}:1`,
    });
    cluster.model.agentConnected(hostHello('node-6'), { connectionId: 'conn-node-6', peerAddress: `${nodeIpOf('node-6')}:1` });
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('node-5')?.reason).toBe(
      'first seen; waiting for the CNI: the Node says flannel vxlan (annotation), the node has no overlay device yet',
    );
    // A node that has its device is simply joining.
    expect(lifecycle.held.get('node-6')?.reason).toBe('first seen');
    cluster.model.agentConnected(hostHello('node-5', { overlay: create(OverlayDeviceSchema, { kind: OverlayKind.NONE }) }), {
      connectionId: 'conn-node-5b',
      peerAddress: `${nodeIpOf('node-5')}:1`,
    });
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('node-5')?.reason).toMatch(/waiting for the CNI/);
  });

  it('shows a joining node that never converges once the grace is over', () => {
    const cluster = createTestCluster();
    const { findings } = setUp(cluster);
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of cluster.names) cluster.model.agentHeartbeat(cluster.key(peer));
    cluster.model.agentConnected(hostHello('node-5'), { connectionId: 'conn-node-5', peerAddress: `${nodeIpOf('node-5')}:1` });
    report(cluster, 'node-5', ['node-1']);
    expect(findings()).toEqual([]);
    cluster.clock.advance(60_000);
    for (const peer of [...cluster.names, 'node-5']) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual(['OverlayRouteMissing:node-5']);
  });

  it('made-up nodes that keep their streams open: past the grace, no peer holds any entry toward them, so they stay held and no finding names a real node', () => {
    const cluster = createTestCluster();
    const { findings, lifecycle } = setUp(cluster);
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of cluster.names) cluster.model.agentHeartbeat(cluster.key(peer));
    const madeUp = ['made-up-1', 'made-up-2', 'made-up-3', 'made-up-4', 'made-up-5'];
    for (const name of madeUp)
      cluster.model.agentConnected(hostHello(name), { connectionId: `conn-${name}`, peerAddress: '192.0.2.250:1' });
    // Two made-up nodes claim they hold everything (no witnesses: joining themselves); two say nothing.
    for (const name of madeUp.slice(0, 2)) report(cluster, name);
    // Every real node lacks the whole chain toward each made-up one: more than half its peers.
    for (const peer of cluster.names) report(cluster, peer, madeUp);
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of [...cluster.names, ...madeUp]) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('made-up-1')).toMatchObject({ state: 'joining', reason: expect.stringMatching(/^unknown to the overlay/) });
    // A real fault meanwhile still shows, naming the node that has it.
    report(cluster, 'node-2', ['node-3', ...madeUp]);
    expect(findings()).toEqual(['OverlayRouteMissing:node-2']);
    report(cluster, 'node-2', madeUp);
    // The moment one real peer programs a made-up node, it is a member like any other.
    report(cluster, 'node-1', madeUp.slice(1));
    findings();
    expect(lifecycle.held.has('made-up-1')).toBe(false);
    expect(lifecycle.held.has('made-up-2')).toBe(true);
  });

  it('a real node joining whose peers programmed only part of the chain is not "unknown": its findings show after the grace', () => {
    const cluster = createTestCluster();
    const { findings, lifecycle } = setUp(cluster);
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of cluster.names) cluster.model.agentHeartbeat(cluster.key(peer));
    cluster.model.agentConnected(hostHello('node-5'), { connectionId: 'conn-node-5', peerAddress: `${nodeIpOf('node-5')}:1` });
    report(cluster, 'node-5');
    // node-1 holds the chain; node-2..4 lack it.
    for (const peer of ['node-2', 'node-3', 'node-4']) report(cluster, peer, ['node-5']);
    report(cluster, 'node-1');
    expect(findings()).toEqual([]);
    cluster.clock.advance(61_000);
    for (const peer of [...cluster.names, 'node-5']) cluster.model.agentHeartbeat(cluster.key(peer));
    expect(findings()).toEqual([
      'OverlayPeerDisagreement:node-5',
      'OverlayRouteMissing:node-2',
      'OverlayRouteMissing:node-3',
      'OverlayRouteMissing:node-4',
    ]);
    expect(lifecycle.held.has('node-5')).toBe(false);
  });

  it('nodes seen in the start-up window are members reconnecting, not joining', () => {
    const cluster = createTestCluster();
    const { findings } = setUp(cluster);
    cluster.reportMissing('node-2', ['node-3']);
    expect(findings()).toEqual(['OverlayRouteMissing:node-2']);
  });

  it('holds a node whose overlay device came back with another VTEP MAC (the CNI restarting) until peers caught up', () => {
    const cluster = createTestCluster();
    const { findings, lifecycle } = setUp(cluster);
    expect(findings()).toEqual([]);
    const hello = hostHello('node-2');
    hello.overlay!.vtepMac = '0a:58:c6:12:99:99';
    cluster.model.agentConnected(hello, { connectionId: 'conn-node-2b', peerAddress: `${nodeIpOf('node-2')}:1` });
    for (const peer of ['node-1', 'node-3', 'node-4']) report(cluster, peer, ['node-2']);
    expect(findings()).toEqual([]);
    expect(lifecycle.held.get('node-2')?.state).toBe('settling');
    report(cluster, 'node-2');
    for (const peer of ['node-1', 'node-3', 'node-4']) report(cluster, peer);
    expect(findings()).toEqual([]);
    expect(lifecycle.held.has('node-2')).toBe(false);
  });
});
