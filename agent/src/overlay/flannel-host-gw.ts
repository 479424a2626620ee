// flannel host-gw: per peer, a route to its pod CIDR via its node IP on the underlay.
import { OverlayKind, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import {
  describeRoute,
  healthyDigest,
  indexMainRoutes,
  peerLabel,
  type OverlayBackend,
  type PartProblemResult,
  type VerificationResult,
} from './backend.ts';
import { checkableCidrs } from './peer-cidrs.ts';

export const flannelHostGwBackend: OverlayBackend = {
  name: 'flannel-host-gw',
  kind: OverlayKind.FLANNEL_HOST_GW,
  needs: { neighbors: false, fdb: false },
  verify({ self, routes, peers }): VerificationResult {
    const routesByDst = indexMainRoutes(routes);
    // The device is checked only when the underlay device is known.
    const dev = self.overlay.underlayDevice;
    const result: VerificationResult = { peersChecked: 0, peersOk: 0, problems: [], healthyDigest: '' };
    const healthy: string[] = [];
    for (const peer of peers) {
      const cidrs = checkableCidrs(peer, self);
      // No pod CIDR or node IP: nothing to route yet (see checkableCidrs), so not counted.
      if (cidrs.length === 0 || peer.nodeIp === '') continue;
      result.peersChecked++;
      const parts: PartProblemResult[] = [];
      const chain: string[] = [];
      for (const { network, prefixLength } of cidrs) {
        const cidr = `${network}/${prefixLength}`;
        const expected = `${cidr} via ${peer.nodeIp}${dev ? ` dev ${dev}` : ''}`;
        const candidates = routesByDst.get(cidr) ?? [];
        const route = candidates.find((r) => r.gateway === peer.nodeIp) ?? candidates[0];
        if (!route) {
          parts.push({ part: OverlayPart.ROUTE, problem: Problem.MISSING, expected, actual: 'absent' });
          continue;
        }
        const actual = describeRoute(route);
        if (route.gateway !== peer.nodeIp) parts.push({ part: OverlayPart.ROUTE, problem: Problem.WRONG_GATEWAY, expected, actual });
        if (dev && route.dev !== dev) parts.push({ part: OverlayPart.ROUTE, problem: Problem.WRONG_DEVICE, expected, actual });
        chain.push(expected);
      }
      if (parts.length === 0) {
        result.peersOk++;
        healthy.push(chain.join('; '));
      } else result.problems.push({ peer: peerLabel(peer), parts });
    }
    result.healthyDigest = healthyDigest(healthy);
    return result;
  },
};
