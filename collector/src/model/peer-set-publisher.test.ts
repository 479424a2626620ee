// Peer sets are pre-encoded (per-peer chunks, cut per stream): the bytes must be exactly what
// encoding the message gives, and a delta applied to the stream's previous set must give
// exactly the current set.
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConnectResponseSchema, type ConnectResponse, type Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { decodeResponse, encodeResponse } from '../../../shared/src/wire.ts';
import { addPodAgents } from '../../../test/fixtures/probe-fixtures.ts';
import type { AgentKey } from './cluster-model.ts';
import { createTestCluster, hostHello, podHello, type TestCluster } from '../../../test/fixtures/cluster-fixtures.ts';

const decoded = (message: ConnectResponse): ConnectResponse => decodeResponse(encodeResponse(message));
const keyOf = (peer: Peer): string => `${peer.network}|${peer.nodeName}`;
const names = (peers: readonly Peer[]): string[] => peers.map(keyOf).sort();

/** What an agent does with a delta (agent/src/uplink/peer-set-state.ts), minus the checks. */
function applyDelta(peers: readonly Peer[], message: ConnectResponse): Peer[] {
  if (message.payload.case !== 'peerSetDelta') throw new Error(`expected a delta, got ${message.payload.case}`);
  const map = new Map(peers.map((p) => [keyOf(p), p]));
  for (const ref of message.payload.value.removed) map.delete(`${ref.network}|${ref.nodeName}`);
  for (const peer of message.payload.value.upserted) map.set(keyOf(peer), peer);
  return [...map.values()];
}

function fullPeers(cluster: TestCluster, key: AgentKey): { generation: bigint; peers: Peer[] } {
  const message = decoded(cluster.model.peerSetUpdateFor(key, {}).message);
  if (message.payload.case !== 'peerSet') throw new Error('expected a full set');
  return { generation: message.payload.value.generation, peers: message.payload.value.peers };
}

describe('peer-set publisher', () => {
  it('encodes full sets exactly like the message, for the first, a middle, the last and an unknown node, on both networks', () => {
    const cluster = createTestCluster({ nodes: 7 });
    addPodAgents(cluster);
    for (const network of ['host', 'pod'] as const) {
      for (const node of ['node-1', 'node-4', 'node-7', 'node-99']) {
        const update = cluster.model.peerSetUpdateFor({ node, network }, {});
        expect(update.kind).toBe('full');
        const expected = create(ConnectResponseSchema, {
          payload: { case: 'peerSet', value: cluster.model.peerSetFor({ node, network }) },
        });
        const bytes = encodeResponse(update.message);
        expect(Buffer.compare(bytes, Buffer.from(toBinary(ConnectResponseSchema, expected)))).toBe(0);
        expect(update.bytes).toBe(bytes.length);
        const peers = decoded(update.message).payload.value as { peers: Peer[] };
        expect(peers.peers.map((p) => p.nodeName)).not.toContain(node);
        expect(peers.peers).toHaveLength(network === 'host' ? (node === 'node-99' ? 14 : 12) : node === 'node-99' ? 7 : 6);
        expect(update.entries).toBe(peers.peers.length);
      }
    }
  });

  it('sends a delta that turns the previous set into the current one: joins, changes, expiries; never the own node', () => {
    const cluster = createTestCluster({ nodes: 7, nodeExpiryMs: 60_000 });
    addPodAgents(cluster);
    const streams = [cluster.key('node-1', 'host'), cluster.key('node-4', 'pod'), cluster.key('node-5', 'host')];
    const before = new Map(streams.map((key) => [key, fullPeers(cluster, key)]));

    cluster.model.agentConnected(hostHello('node-8'), { connectionId: 'c8', peerAddress: 'x' });
    cluster.model.agentConnected(podHello('node-8'), { connectionId: 'p8', peerAddress: 'x' });
    cluster.model.agentConnected(hostHello('node-3', { addresses: ['192.0.2.99'], probeAddress: '192.0.2.99' }), {
      connectionId: 'c3b',
      peerAddress: 'x',
    });
    // Changes to the streams' own nodes, which their sets leave out.
    cluster.model.agentConnected(podHello('node-1'), { connectionId: 'p1b', peerAddress: 'y' }); // same data: no change
    cluster.model.agentConnected(hostHello('node-4', { probePort: 7600 }), { connectionId: 'c4b', peerAddress: 'x' });
    // node-6 goes away entirely.
    cluster.model.agentDisconnected(cluster.key('node-6', 'host'), 'conn-node-6');
    cluster.model.agentDisconnected(cluster.key('node-6', 'pod'), 'pod-node-6');
    cluster.clock.advance(61_000);
    for (const name of cluster.names) if (name !== 'node-6') cluster.model.agentHeartbeat(cluster.key(name, 'host'));
    for (const name of cluster.names) if (name !== 'node-6') cluster.model.agentHeartbeat(cluster.key(name, 'pod'));
    cluster.model.agentHeartbeat(cluster.key('node-8', 'host'));
    cluster.model.agentHeartbeat(cluster.key('node-8', 'pod'));
    cluster.model.expire();

    for (const key of streams) {
      const base = before.get(key)!;
      const update = cluster.model.peerSetUpdateFor(key, { base: base.generation });
      expect(update.kind, `${key.node}/${key.network}`).toBe('delta');
      expect(update.generation).toBe(cluster.model.membershipGeneration);
      const message = decoded(update.message);
      expect(Buffer.compare(encodeResponse(update.message), Buffer.from(toBinary(ConnectResponseSchema, message)))).toBe(0);
      if (message.payload.case !== 'peerSetDelta') throw new Error('expected a delta');
      expect(message.payload.value.baseGeneration).toBe(base.generation);
      const touched = [...message.payload.value.upserted.map((p) => p.nodeName), ...message.payload.value.removed.map((r) => r.nodeName)];
      expect(touched).not.toContain(key.node);
      expect(update.entries).toBe(touched.length);
      const current = cluster.model.peerSetFor(key).peers;
      const applied = applyDelta(base.peers, message);
      expect(names(applied)).toEqual(names(current));
      for (const peer of current) expect(applied.find((p) => keyOf(p) === keyOf(peer))).toEqual(peer);
    }
    // The pod stream saw only pod peers: node-8's pod agent joined, node-6's left; node-3's pod peer changed its node IP.
    const podDelta = decoded(
      cluster.model.peerSetUpdateFor(cluster.key('node-4', 'pod'), { base: before.get(streams[1]!)!.generation }).message,
    );
    expect(podDelta.payload.case === 'peerSetDelta' && podDelta.payload.value.upserted.map((p) => p.nodeName)).toEqual([
      'node-3',
      'node-8',
    ]);
    expect(podDelta.payload.case === 'peerSetDelta' && podDelta.payload.value.removed.map((r) => r.nodeName)).toEqual(['node-6']);
  });

  it('sends an empty delta when nothing the stream sees changed, so its generation still advances', () => {
    const cluster = createTestCluster({ nodes: 3 });
    const base = cluster.model.membershipGeneration;
    cluster.model.agentConnected(podHello('node-2'), { connectionId: 'p2', peerAddress: 'x' });
    // Only node-1's host peer changes: not part of node-1's pod agent's set.
    cluster.model.agentConnected(hostHello('node-1', { probePort: 7601 }), { connectionId: 'c1b', peerAddress: 'x' });
    const update = cluster.model.peerSetUpdateFor(cluster.key('node-1', 'pod'), { base: base + 1n });
    expect(update.kind).toBe('delta');
    expect(update.entries).toBe(0);
    expect(update.generation).toBe(base + 2n);
  });

  it('falls back to a full set when the base is older than the change log', () => {
    const cluster = createTestCluster({ nodes: 3 });
    const key = cluster.key('node-1');
    const base = cluster.model.membershipGeneration;
    // More changes than the log keeps (at least 4,096).
    for (let i = 0; i < 4200; i++)
      cluster.model.agentConnected(hostHello('node-2', { probePort: 7000 + (i % 2) }), { connectionId: `c${i}`, peerAddress: 'x' });
    const update = cluster.model.peerSetUpdateFor(key, { base });
    expect(update.kind).toBe('full');
    expect(names((decoded(update.message).payload.value as { peers: Peer[] }).peers)).toEqual(['1|node-2', '1|node-3']);
    // A recent base still gets a delta.
    expect(cluster.model.peerSetUpdateFor(key, { base: cluster.model.membershipGeneration - 3n }).kind).toBe('delta');
  });

  it('falls back to a full set when the delta would not be smaller', () => {
    const cluster = createTestCluster({ nodes: 3 });
    const key = cluster.key('node-1');
    const base = cluster.model.membershipGeneration;
    for (const name of ['node-2', 'node-3'])
      cluster.model.agentConnected(hostHello(name, { probePort: 7777 }), { connectionId: `again-${name}`, peerAddress: 'x' });
    const update = cluster.model.peerSetUpdateFor(key, { base });
    expect(update.kind).toBe('full');
    expect(update.generation).toBe(cluster.model.membershipGeneration);
  });

  it('hands out the last full set built when a stale one will do (a push wave follows)', () => {
    const cluster = createTestCluster({ nodes: 3 });
    const first = cluster.model.peerSetUpdateFor(cluster.key('node-1'), {});
    cluster.model.agentConnected(hostHello('node-4'), { connectionId: 'c4', peerAddress: 'x' });
    const stale = cluster.model.peerSetUpdateFor(cluster.key('node-4'), { staleFullOk: true });
    expect(stale.kind).toBe('full');
    expect(stale.generation).toBe(first.generation);
    expect(names((decoded(stale.message).payload.value as { peers: Peer[] }).peers)).toEqual(['1|node-1', '1|node-2', '1|node-3']);
    // The wave then brings it up to date with a delta from that generation.
    const wave = cluster.model.peerSetUpdateFor(cluster.key('node-4'), { base: stale.generation });
    expect(wave.kind).toBe('delta');
    expect(wave.generation).toBe(cluster.model.membershipGeneration);
    expect(wave.entries).toBe(0);
  });
});
