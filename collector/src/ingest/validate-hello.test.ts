import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { HelloSchema } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { validateHello } from './validate-hello.ts';

const good = () =>
  create(HelloSchema, {
    nodeName: 'node-2',
    network: Network.HOST,
    addresses: ['192.0.2.12'],
    podCidrs: ['198.18.2.0/24'],
    overlay: { kind: OverlayKind.FLANNEL_VXLAN, name: 'flannel.1', vni: 1, port: 8472, vtepIp: '192.0.2.12', vtepMac: '0a:58:c6:12:02:00', mtu: 1450 },
  });

describe('validateHello', () => {
  it('accepts a well-formed hello', () => {
    expect(validateHello(good())).toBeUndefined();
  });
  it.each([
    ['empty node name', (h: ReturnType<typeof good>) => (h.nodeName = ''), /node_name is empty/],
    ['invalid node name', (h: ReturnType<typeof good>) => (h.nodeName = 'Node_2!'), /not a valid Kubernetes node name/],
    ['invalid CIDR', (h: ReturnType<typeof good>) => (h.podCidrs = ['198.18.2.0/40']), /not a valid CIDR/],
    ['unspecified network', (h: ReturnType<typeof good>) => (h.network = Network.UNSPECIFIED), /network must be/],
    ['bad address', (h: ReturnType<typeof good>) => (h.addresses = ['not-an-ip']), /not an IP address/],
    ['bad VTEP MAC', (h: ReturnType<typeof good>) => (h.overlay!.vtepMac = 'zz'), /not a MAC address/],
  ])('refuses %s', (_name, mutate, message) => {
    const hello = good();
    mutate(hello);
    expect(validateHello(hello)).toMatch(message);
  });
});
