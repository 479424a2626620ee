// flannel VXLAN: per peer, route -> PERMANENT neighbor -> FDB entry, as flannel programs them.
import { OverlayKind, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { FdbEntry, NeighborEntry } from '../kernel/types.ts';
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

function describeNeighbor(n: NeighborEntry): string {
  return `${n.dst} dev ${n.dev}${n.lladdr ? ` lladdr ${n.lladdr}` : ''} ${n.states.join(',')}`.trim();
}

function describeFdb(e: FdbEntry): string {
  return `${e.mac} dev ${e.dev}${e.dst ? ` dst ${e.dst}` : ''}${e.self ? ' self' : ''}${e.permanent ? ' permanent' : ''}`;
}

export const flannelVxlanBackend: OverlayBackend = {
  name: 'flannel-vxlan',
  kind: OverlayKind.FLANNEL_VXLAN,
  needs: { neighbors: true, fdb: true },
  verify({ self, routes, neighbors, fdb, peers }): VerificationResult {
    const dev = self.overlay.name;
    const routesByDst = indexMainRoutes(routes);
    const neighByDst = new Map<string, NeighborEntry>();
    for (const n of neighbors) if (n.dev === dev) neighByDst.set(n.dst, n);
    const fdbByMac = new Map<string, FdbEntry[]>();
    for (const e of fdb) {
      if (e.dev !== dev) continue;
      fdbByMac.set(e.mac, [...(fdbByMac.get(e.mac) ?? []), e]);
    }

    const result: VerificationResult = { peersChecked: 0, peersOk: 0, problems: [], healthyDigest: '' };
    const healthy: string[] = [];
    for (const peer of peers) {
      const cidrs = checkableCidrs(peer, self);
      const mac = peer.vtepMac.toLowerCase();
      // Without a pod CIDR or a VTEP MAC there is no chain to expect yet (the peer's
      // flannel has not published its lease); counting it would report a healthy node as broken.
      if (cidrs.length === 0 || mac === '' || peer.nodeIp === '') continue;
      result.peersChecked++;
      const parts: PartProblemResult[] = [];
      const chain: string[] = [];
      for (const { network: gw, prefixLength } of cidrs) {
        const cidr = `${gw}/${prefixLength}`;
        const expected = `${cidr} via ${gw} dev ${dev} onlink`;
        const candidates = routesByDst.get(cidr) ?? [];
        const route = candidates.find((r) => r.dev === dev) ?? candidates[0];
        if (!route) parts.push({ part: OverlayPart.ROUTE, problem: Problem.MISSING, expected, actual: 'absent' });
        else {
          const actual = describeRoute(route);
          if (route.dev !== dev) parts.push({ part: OverlayPart.ROUTE, problem: Problem.WRONG_DEVICE, expected, actual });
          if (route.gateway !== gw) parts.push({ part: OverlayPart.ROUTE, problem: Problem.WRONG_GATEWAY, expected, actual });
          if (!route.onlink) parts.push({ part: OverlayPart.ROUTE, problem: Problem.NOT_ONLINK, expected, actual });
        }
        const expectedNeigh = `${gw} dev ${dev} lladdr ${mac} PERMANENT`;
        const neigh = neighByDst.get(gw);
        if (!neigh) parts.push({ part: OverlayPart.NEIGHBOR, problem: Problem.MISSING, expected: expectedNeigh, actual: 'absent' });
        else {
          if (neigh.lladdr !== mac)
            parts.push({
              part: OverlayPart.NEIGHBOR,
              problem: Problem.WRONG_MAC,
              expected: expectedNeigh,
              actual: describeNeighbor(neigh),
            });
          if (!neigh.states.includes('PERMANENT'))
            parts.push({
              part: OverlayPart.NEIGHBOR,
              problem: Problem.NOT_PERMANENT,
              expected: expectedNeigh,
              actual: describeNeighbor(neigh),
            });
        }
        chain.push(`${expected}; neigh ${gw} lladdr ${mac}`);
      }
      const expectedFdb = `${mac} dev ${dev} dst ${peer.nodeIp} self permanent`;
      const entries = fdbByMac.get(mac) ?? [];
      const toPeer = entries.find((e) => e.dst === peer.nodeIp);
      const actualFdb = entries.map(describeFdb).join(', ') || 'absent';
      if (entries.length === 0) parts.push({ part: OverlayPart.FDB, problem: Problem.MISSING, expected: expectedFdb, actual: actualFdb });
      else if (!toPeer) parts.push({ part: OverlayPart.FDB, problem: Problem.WRONG_DESTINATION, expected: expectedFdb, actual: actualFdb });
      else if (!toPeer.permanent)
        parts.push({ part: OverlayPart.FDB, problem: Problem.NOT_PERMANENT, expected: expectedFdb, actual: actualFdb });

      if (parts.length === 0) {
        result.peersOk++;
        healthy.push(`${chain.join('; ')}; fdb ${mac} dst ${peer.nodeIp}`);
      } else result.problems.push({ peer: peerLabel(peer), parts });
    }
    result.healthyDigest = healthyDigest(healthy);
    return result;
  },
};
