// Shared fixtures for overlay tests: the captured three-peer flannel node.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { PeerSchema, type Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { parseFdb } from '../kernel/parse-fdb.ts';
import { parseLinks } from '../kernel/parse-links.ts';
import { parseNeighbors } from '../kernel/parse-neighbors.ts';
import { parseRoutes } from '../kernel/parse-routes.ts';
import { loadTestdata } from '../kernel/testdata/load.ts';
import type { VerificationInput } from './backend.ts';
import { describeSelf } from './self-description.ts';

export function peer(j: number, overrides: MessageInitShape<typeof PeerSchema> = {}): Peer {
  return create(PeerSchema, {
    nodeName: `node-${j}`,
    network: Network.HOST,
    nodeIp: `192.0.2.${10 + j}`,
    podCidrs: [`198.18.${j}.0/24`],
    vtepMac: `0a:58:c6:12:0${j}:00`,
    ...overrides,
  });
}

export function capturedVxlanInput(): VerificationInput {
  const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
  const routes = parseRoutes(loadTestdata('ip-route-flannel-vxlan.json'));
  return {
    self: describeSelf(links, routes),
    routes,
    neighbors: parseNeighbors(loadTestdata('ip-neigh-flannel-vxlan.json')),
    fdb: parseFdb(loadTestdata('bridge-fdb-flannel-vxlan.json'), 'flannel.1'),
    peers: [peer(2), peer(3), peer(4)],
  };
}
