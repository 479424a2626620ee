import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { PeerSchema, PeerSetSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createPodAgent } from './pod-agent.ts';

describe('pod agent', () => {
  const agent = createPodAgent({
    nodeName: 'node-1',
    pod: { podIp: '198.18.1.5', interfaceName: 'eth0', mtu: 1450, notes: [] },
    podCidrs: ['198.18.1.0/24'],
    probePort: 7946,
    logger: createSilentLogger(),
  });

  it('says hello as a POD agent with no overlay, probed at its pod IP', () => {
    expect(agent.hello()).toMatchObject({
      nodeName: 'node-1',
      network: Network.POD,
      addresses: ['198.18.1.5'],
      podCidrs: ['198.18.1.0/24'],
      probeAddress: '198.18.1.5',
      probePort: 7946,
      overlay: { kind: OverlayKind.NONE },
    });
  });

  it('keeps the peer set it is given (create-agent.ts has dropped this node)', () => {
    agent.onPeerSet(
      create(PeerSetSchema, {
        generation: 1n,
        peers: [create(PeerSchema, { nodeName: 'node-2' }), create(PeerSchema, { nodeName: 'node-3' })],
      }),
    );
    expect(agent.peers().map((p) => p.nodeName)).toEqual(['node-2', 'node-3']);
  });
});
