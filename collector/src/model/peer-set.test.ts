import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { HelloSchema, type Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { AgentState, NodeState } from './cluster-snapshot.ts';
import { peerFingerprint, peerOf } from './peer-set.ts';
import { networkAgent, podNetworkAgent } from './pod-network-agent.ts';

const agent = (network: 'host' | 'pod', hello: Partial<Omit<Hello, '$typeName'>>): AgentState => ({
  network,
  connected: true,
  connectionId: network,
  peerAddress: '',
  connectedSinceMs: 0,
  lastSeenMs: 0,
  restarts: 0,
  hello: create(HelloSchema, {
    nodeName: 'node-2',
    network: network === 'host' ? Network.HOST : Network.POD,
    podCidrs: ['198.18.2.0/24'],
    ...hello,
  }),
});
const host = agent('host', { addresses: ['192.0.2.12'], probeAddress: '192.0.2.12', probePort: 7946 });
const viaOverlay = agent('host', { addresses: ['192.0.2.12'], probeAddress: '192.0.2.12', probePort: 7946, podProbeAddress: '198.18.2.0' });
const pod = agent('pod', { addresses: ['198.18.2.5'], probeAddress: '198.18.2.5', probePort: 7946 });

describe('peer entries', () => {
  it('a node without a pod agent has no pod-network peer, unless its host agent answers for the pod network (via-overlay)', () => {
    const plain: NodeState = { name: 'node-2', hostAgent: host };
    expect(peerOf(plain, 'pod')).toBeUndefined();
    expect(peerFingerprint(plain, 'pod')).toBeUndefined();
    expect(podNetworkAgent(plain)).toBeUndefined();

    const node: NodeState = { name: 'node-2', hostAgent: viaOverlay };
    expect(peerOf(node, 'pod')).toMatchObject({
      nodeName: 'node-2',
      network: Network.POD,
      nodeIp: '192.0.2.12',
      podCidrs: ['198.18.2.0/24'],
      probeAddress: '198.18.2.0',
      probePort: 7946,
    });
    expect(peerOf(node, 'host')).toMatchObject({ network: Network.HOST, probeAddress: '192.0.2.12' });
    expect(podNetworkAgent(node)).toBe(viaOverlay);
    expect(networkAgent(node, 'pod')).toBe(viaOverlay);
    expect(peerFingerprint(node, 'pod')).toContain('198.18.2.0');
  });

  it("the node's own pod agent wins when it has one", () => {
    const node: NodeState = { name: 'node-2', hostAgent: viaOverlay, podAgent: pod };
    expect(peerOf(node, 'pod')).toMatchObject({ probeAddress: '198.18.2.5', nodeIp: '192.0.2.12' });
    expect(podNetworkAgent(node)).toBe(pod);
  });
});
