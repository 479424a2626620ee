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
    overlay: {
      kind: OverlayKind.FLANNEL_VXLAN,
      name: 'flannel.1',
      vni: 1,
      port: 8472,
      vtepIp: '192.0.2.12',
      vtepMac: '0a:58:c6:12:02:00',
      mtu: 1450,
    },
  });

describe('validateHello', () => {
  it('accepts a well-formed hello, with or without an instance identity', () => {
    expect(validateHello(good())).toBeUndefined();
    expect(validateHello(Object.assign(good(), { podProbeAddress: '198.18.2.0' }))).toBeUndefined();
    expect(
      validateHello(Object.assign(good(), { instanceId: '3f2c6a9e-0b7d-4d0c-9a51-2f1e8c7b6a50', startedAtUnixMs: 1_795_000_000_000n })),
    ).toBeUndefined();
  });
  it.each([
    ['empty node name', (h: ReturnType<typeof good>) => (h.nodeName = ''), /node_name is empty/],
    ['invalid node name', (h: ReturnType<typeof good>) => (h.nodeName = 'Node_2!'), /not a valid Kubernetes node name/],
    ['invalid CIDR', (h: ReturnType<typeof good>) => (h.podCidrs = ['198.18.2.0/40']), /not a valid CIDR/],
    ['unspecified network', (h: ReturnType<typeof good>) => (h.network = Network.UNSPECIFIED), /network must be/],
    ['bad address', (h: ReturnType<typeof good>) => (h.addresses = ['not-an-ip']), /not an IP address/],
    ['bad VTEP MAC', (h: ReturnType<typeof good>) => (h.overlay!.vtepMac = 'zz'), /not a MAC address/],
    ['too many addresses', (h: ReturnType<typeof good>) => (h.addresses = Array.from({ length: 17 }, () => '192.0.2.1')), /more than 16/],
    ['too many pod CIDRs', (h: ReturnType<typeof good>) => (h.podCidrs = Array.from({ length: 9 }, () => '198.18.0.0/24')), /more than 8/],
    ['CIDR that is an address', (h: ReturnType<typeof good>) => (h.podCidrs = ['198.18.2.1']), /not a valid CIDR/],
    ['overlong node name', (h: ReturnType<typeof good>) => (h.nodeName = 'a'.repeat(254)), /not a valid Kubernetes node name/],
    ['bad probe address', (h: ReturnType<typeof good>) => (h.probeAddress = '999.1.1.1'), /probe_address/],
    ['loopback probe address', (h: ReturnType<typeof good>) => (h.probeAddress = '127.0.0.1'), /cannot be a probe target: loopback/],
    ['metadata-service probe address', (h: ReturnType<typeof good>) => (h.probeAddress = '169.254.169.254'), /link-local/],
    ['multicast probe address', (h: ReturnType<typeof good>) => (h.probeAddress = '239.1.1.1'), /multicast/],
    ['unspecified probe address', (h: ReturnType<typeof good>) => (h.probeAddress = '0.0.0.0'), /unspecified/],
    [
      'pod probe address outside the pod CIDRs',
      (h: ReturnType<typeof good>) => (h.podProbeAddress = '198.18.3.1'),
      /not inside hello.pod_cidrs/,
    ],
    [
      'pod probe address from a pod agent',
      (h: ReturnType<typeof good>) => ((h.network = Network.POD), (h.podProbeAddress = '198.18.2.0')),
      /only for host agents/,
    ],
    ['pod probe address not an IP', (h: ReturnType<typeof good>) => (h.podProbeAddress = 'cni0'), /pod_probe_address 'cni0' is not an IP/],
    ['probe port out of range', (h: ReturnType<typeof good>) => (h.probePort = 70_000), /probe_port/],
    ['long agent version', (h: ReturnType<typeof good>) => (h.agentVersion = 'v'.repeat(65)), /agent_version/],
    ['instance id with odd characters', (h: ReturnType<typeof good>) => (h.instanceId = 'a b\u0000'), /instance_id/],
    ['long instance id', (h: ReturnType<typeof good>) => (h.instanceId = 'a'.repeat(65)), /instance_id/],
    ['negative start time', (h: ReturnType<typeof good>) => (h.startedAtUnixMs = -1n), /started_at/],
    ['unknown overlay kind', (h: ReturnType<typeof good>) => (h.overlay!.kind = 42 as OverlayKind), /overlay kind/],
    ['VNI out of range', (h: ReturnType<typeof good>) => (h.overlay!.vni = 0x1000000), /vni/],
    ['overlay MTU out of range', (h: ReturnType<typeof good>) => (h.overlay!.mtu = 70_000), /mtu/],
    ['long overlay device name', (h: ReturnType<typeof good>) => (h.overlay!.name = 'flannel.1234567890'), /interface name/],
    ['bad VTEP IP', (h: ReturnType<typeof good>) => (h.overlay!.vtepIp = '192.0.2'), /vtep_ip/],
  ])('refuses %s', (_name, mutate, message) => {
    const hello = good();
    mutate(hello);
    expect(validateHello(hello)).toMatch(message);
  });
});
