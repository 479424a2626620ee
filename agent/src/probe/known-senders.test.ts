import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { PeerSchema, type Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createKnownSenders } from './known-senders.ts';

const host2 = create(PeerSchema, {
  nodeName: 'node-2',
  network: Network.HOST,
  nodeIp: '192.0.2.12',
  podCidrs: ['198.18.2.0/24'],
  probeAddress: '192.0.2.12',
});
const pod2 = create(PeerSchema, {
  nodeName: 'node-2',
  network: Network.POD,
  nodeIp: '192.0.2.12',
  podCidrs: ['198.18.2.0/24'],
  probeAddress: '198.18.2.5',
});

describe('known senders', () => {
  it('knows a peer from its node IP, probe address or pod CIDR (a host agent probes pods from its VTEP address)', () => {
    const senders = createKnownSenders(() => [host2, pod2]);
    expect(senders.isSender('192.0.2.12', 'node-2', Network.HOST)).toBe(true);
    expect(senders.isSender('198.18.2.0', 'node-2', Network.HOST)).toBe(true);
    expect(senders.isSender('::ffff:198.18.2.5', 'node-2', Network.POD)).toBe(true);
    expect(senders.isPeerAddress('198.18.2.77')).toBe(true);
  });

  it("tells a probe that came through the overlay (from the node's pod CIDR) from one over the underlay", () => {
    const senders = createKnownSenders(() => [host2, pod2]);
    expect(senders.isOverlaySource('198.18.2.0', 'node-2')).toBe(true);
    expect(senders.isOverlaySource('::ffff:198.18.2.0', 'node-2')).toBe(true);
    expect(senders.isOverlaySource('192.0.2.12', 'node-2')).toBe(false);
    expect(senders.isOverlaySource('198.18.2.0', 'node-3')).toBe(false);
  });

  it('refuses a name not in the peer set, a name from another address, and strangers', () => {
    const senders = createKnownSenders(() => [host2, pod2]);
    expect(senders.isSender('192.0.2.12', 'node-9', Network.HOST)).toBe(false);
    expect(senders.isSender('192.0.2.99', 'node-2', Network.HOST)).toBe(false);
    expect(senders.isSender('192.0.2.12', 'node-2', 7)).toBe(false);
    // A pod agent's peer set lists only pod peers: node-2's host agent, probing over the overlay, still counts.
    const podOnly = createKnownSenders(() => [pod2]);
    expect(podOnly.isSender('198.18.2.0', 'node-2', Network.HOST)).toBe(true);
    expect(senders.isPeerAddress('192.0.2.99')).toBe(false);
    expect(senders.isPeerAddress('198.18.3.1')).toBe(false);
  });

  it('follows the peer set as it changes', () => {
    let peers: Peer[] = [];
    const senders = createKnownSenders(() => peers);
    expect(senders.isPeerAddress('192.0.2.12')).toBe(false);
    peers = [host2];
    expect(senders.isPeerAddress('192.0.2.12')).toBe(true);
    peers = [];
    expect(senders.isSender('192.0.2.12', 'node-2', Network.HOST)).toBe(false);
  });
});
