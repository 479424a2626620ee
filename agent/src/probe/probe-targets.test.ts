import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { PeerSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { toProbeTargets } from './probe-targets.ts';
import { ipUdpOverheadBytes, udpPayloadSizes } from './udp-prober.ts';

const peer = (nodeName: string, network: Network, probeAddress: string, probePort = 7946) =>
  create(PeerSchema, { nodeName, network, probeAddress, probePort });

describe('probe targets', () => {
  it('keeps peers with a probe address, skips this node, and picks the MTU by network', () => {
    const targets = toProbeTargets(
      [
        peer('node-1', Network.HOST, '192.0.2.11'),
        peer('node-2', Network.HOST, '192.0.2.12'),
        peer('node-2', Network.POD, '198.18.2.5'),
        peer('node-3', Network.HOST, ''),
        peer('node-4', Network.HOST, '192.0.2.14', 0),
        // Never probed, whatever a peer set says: loopback, the metadata service, multicast, unspecified.
        peer('node-5', Network.HOST, '127.0.0.1'),
        peer('node-6', Network.HOST, '169.254.169.254'),
        peer('node-7', Network.HOST, '224.0.0.251'),
        peer('node-8', Network.HOST, '0.0.0.0'),
      ],
      'node-1',
      { host: 1500, pod: 1450 },
    );
    expect(targets).toEqual([
      { nodeName: 'node-2', network: Network.HOST, address: '192.0.2.12', port: 7946, mtu: 1500 },
      { nodeName: 'node-2', network: Network.POD, address: '198.18.2.5', port: 7946, mtu: 1450 },
    ]);
  });

  it('sizes UDP probes: 3 small with just the identity, 2 filling the MTU', () => {
    const sizes = udpPayloadSizes({ nodeName: 'node-1', network: 1 }, 1450);
    expect(sizes).toEqual([
      { bytes: 24, large: false },
      { bytes: 24, large: false },
      { bytes: 24, large: false },
      { bytes: 1450 - ipUdpOverheadBytes, large: true },
      { bytes: 1422, large: true },
    ]);
    expect(udpPayloadSizes({ nodeName: 'node-1', network: 1 }, 20)[4]).toEqual({ bytes: 24, large: true });
  });
});
