import { describe, expect, it } from 'vitest';
import { OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { parseLinks } from '../kernel/parse-links.ts';
import { parseRoutes } from '../kernel/parse-routes.ts';
import { loadTestdata } from '../kernel/testdata/load.ts';
import type { VerificationInput } from './backend.ts';
import { flannelHostGwBackend } from './flannel-host-gw.ts';
import { describeSelf } from './self-description.ts';
import { peer } from './test-fixtures.ts';

function input(): VerificationInput {
  const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json')).filter((l) => l.kind !== 'vxlan');
  const routes = parseRoutes(loadTestdata('ip-route-flannel-host-gw.json'));
  return {
    self: describeSelf(links, routes, { overlay: 'flannel-host-gw' }),
    routes,
    neighbors: [],
    fdb: [],
    peers: [peer(2), peer(3), peer(4)],
  };
}
const expected = '198.18.2.0/24 via 192.0.2.12 dev eth0';

describe('flannel-host-gw verify', () => {
  it('finds the captured host-gw table healthy and needs no neighbor or FDB reads', () => {
    expect(flannelHostGwBackend.needs).toEqual({ neighbors: false, fdb: false });
    const r = flannelHostGwBackend.verify(input());
    expect(r).toMatchObject({ peersChecked: 3, peersOk: 3, problems: [] });
    expect(r.healthyDigest).toHaveLength(16);
  });

  it.each([
    [
      'missing',
      (i: VerificationInput) => {
        i.routes = i.routes.filter((r) => r.dst !== '198.18.2.0/24');
      },
      [{ problem: Problem.MISSING, actual: 'absent' }],
    ],
    [
      'wrong gateway',
      (i: VerificationInput) => {
        i.routes.find((r) => r.dst === '198.18.2.0/24')!.gateway = '192.0.2.13';
      },
      [{ problem: Problem.WRONG_GATEWAY, actual: '198.18.2.0/24 via 192.0.2.13 dev eth0' }],
    ],
    [
      'wrong device',
      (i: VerificationInput) => {
        i.routes.find((r) => r.dst === '198.18.2.0/24')!.dev = 'cni0';
      },
      [{ problem: Problem.WRONG_DEVICE, actual: '198.18.2.0/24 via 192.0.2.12 dev cni0' }],
    ],
  ])('%s', (_n, mutate, parts) => {
    const i = input();
    mutate(i);
    const r = flannelHostGwBackend.verify(i);
    expect(r).toMatchObject({ peersChecked: 3, peersOk: 2 });
    expect(r.problems).toEqual([{ peer: 'node-2', parts: parts.map((p) => ({ part: OverlayPart.ROUTE, expected, ...p })) }]);
  });

  it('does not check the device when the underlay device is unknown', () => {
    const i = input();
    i.self.overlay.underlayDevice = '';
    i.routes.find((r) => r.dst === '198.18.2.0/24')!.dev = 'cni0';
    expect(flannelHostGwBackend.verify(i)).toMatchObject({ peersOk: 3 });
  });

  it('skips peers without a pod CIDR or node IP', () => {
    const i = input();
    i.peers.push(peer(5, { podCidrs: [] }), peer(6, { nodeIp: '' }));
    expect(flannelHostGwBackend.verify(i)).toMatchObject({ peersChecked: 3, peersOk: 3 });
  });
});
