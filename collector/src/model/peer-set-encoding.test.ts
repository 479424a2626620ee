// Peer sets are pre-encoded once per generation and cut per stream (wire.ts): the bytes must
// be exactly what encoding the message would give, for every position of the stream's node.
import { create, toBinary } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConnectResponseSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { decodeResponse, encodeResponse } from '../../../shared/src/wire.ts';
import { addPodAgents } from '../probes/probe-fixtures.ts';
import { createTestCluster, hostHello } from './test-fixtures.ts';

describe('pre-encoded peer sets', () => {
  it('equal the plain encoding for the first, a middle, the last and an unknown node, on both networks', () => {
    const cluster = createTestCluster({ nodes: 7 });
    addPodAgents(cluster);
    for (const network of ['host', 'pod'] as const) {
      for (const node of ['node-1', 'node-4', 'node-7', 'node-99']) {
        const peerSet = cluster.model.peerSetFor({ node, network });
        const message = create(ConnectResponseSchema, { payload: { case: 'peerSet', value: peerSet } });
        const bytes = encodeResponse(message);
        expect(Buffer.compare(bytes, Buffer.from(toBinary(ConnectResponseSchema, message)))).toBe(0);
        const decoded = decodeResponse(bytes);
        expect(decoded.payload.case).toBe('peerSet');
        const names = decoded.payload.case === 'peerSet' ? decoded.payload.value.peers.map((p) => p.nodeName) : [];
        expect(names).not.toContain(node);
        expect(names).toHaveLength(network === 'host' ? (node === 'node-99' ? 14 : 12) : node === 'node-99' ? 7 : 6);
      }
    }
  });

  it('follow membership changes (a new generation is encoded afresh)', () => {
    const cluster = createTestCluster({ nodes: 3 });
    const before = cluster.model.peerSetFor({ node: 'node-1', network: 'host' });
    cluster.model.agentConnected(hostHello('node-8'), { connectionId: 'c8', peerAddress: 'x' });
    const after = cluster.model.peerSetFor({ node: 'node-1', network: 'host' });
    expect(after.generation).toBeGreaterThan(before.generation);
    const decoded = decodeResponse(encodeResponse(create(ConnectResponseSchema, { payload: { case: 'peerSet', value: after } })));
    expect(decoded.payload.case === 'peerSet' && decoded.payload.value.peers.map((p) => p.nodeName)).toEqual(['node-2', 'node-3', 'node-8']);
  });
});
