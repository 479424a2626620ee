import { describe, expect, it } from 'vitest';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { hostHello, podHello } from '../../../test/fixtures/cluster-fixtures.ts';
import type { NodeRecord } from './node-record.ts';
import { probeAddressRefusal } from './probe-address-check.ts';

const record = (overrides: Partial<NodeRecord> = {}): NodeRecord => ({
  name: 'node-2',
  podCidrs: ['198.18.2.0/24'],
  addresses: ['192.0.2.12'],
  unschedulable: false,
  deleting: false,
  ...overrides,
});

describe('probe addresses against the Node record', () => {
  it("accepts a host agent at one of the Node's addresses or flannel's public IP", () => {
    expect(probeAddressRefusal(hostHello('node-2'), record())).toBeUndefined();
    const multiHomed = record({ addresses: ['192.0.2.40'], flannelPublicIp: '192.0.2.12' });
    expect(probeAddressRefusal(hostHello('node-2'), multiHomed)).toBeUndefined();
  });

  it('refuses a host agent probed at an address the Node does not have', () => {
    expect(probeAddressRefusal(hostHello('node-2', { probeAddress: '192.0.2.99' }), record())).toMatch(
      /probe address 192\.0\.2\.99 is not one of Node node-2's addresses/,
    );
  });

  it("checks the pod-network addresses against the Node's podCIDRs", () => {
    expect(probeAddressRefusal(hostHello('node-2', { podProbeAddress: '198.18.2.0' }), record())).toBeUndefined();
    expect(probeAddressRefusal(hostHello('node-2', { podProbeAddress: '198.18.9.0' }), record())).toMatch(
      /not inside Node node-2's podCIDRs/,
    );
    expect(probeAddressRefusal(podHello('node-2'), record())).toBeUndefined();
    const podElsewhere = Object.assign(podHello('node-2'), { probeAddress: '198.18.9.5' });
    expect(podElsewhere.network).toBe(Network.POD);
    expect(probeAddressRefusal(podElsewhere, record())).toMatch(/probe address 198\.18\.9\.5 is not inside/);
  });

  it('decides nothing while the record has nothing to compare with', () => {
    const bare = record({ addresses: [], podCidrs: [] });
    expect(probeAddressRefusal(hostHello('node-2', { probeAddress: '192.0.2.99', podProbeAddress: '198.18.9.0' }), bare)).toBeUndefined();
    expect(probeAddressRefusal(Object.assign(podHello('node-2'), { probeAddress: '198.18.9.5' }), bare)).toBeUndefined();
  });
});
