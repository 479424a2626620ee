// Builders for hellos, reports and small clusters, shared by the collector's unit tests.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { HelloSchema, type Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import {
  LinkRole,
  LinkStatusSchema,
  Network,
  NodeReportSchema,
  OverlayKind,
  OverlayPart,
  PartProblemSchema,
  Problem,
  type NodeReport,
} from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createClusterModel, type AgentKey, type ClusterModel } from './cluster-model.ts';

/** node-2 → 2 */
const indexOf = (name: string): number => Number(name.replace(/\D/g, '')) || 0;

export const podCidrOf = (name: string): string => `198.18.${indexOf(name)}.0/24`;
export const nodeIpOf = (name: string): string => `192.0.2.${10 + indexOf(name)}`;
export const vtepMacOf = (name: string): string => `0a:58:c6:12:${indexOf(name).toString(16).padStart(2, '0')}:00`;

export function hostHello(name: string, overrides: Partial<Omit<Hello, '$typeName'>> = {}): Hello {
  const hello = create(HelloSchema, {
    nodeName: name,
    network: Network.HOST,
    addresses: [nodeIpOf(name)],
    podCidrs: [podCidrOf(name)],
    agentVersion: '0.1.0',
    probeAddress: nodeIpOf(name),
    probePort: 7500,
    overlay: { kind: OverlayKind.FLANNEL_VXLAN, name: 'flannel.1', vni: 1, port: 8472, vtepIp: nodeIpOf(name), vtepMac: vtepMacOf(name), mtu: 1450, underlayDevice: 'eth0', underlayMtu: 1500 },
  });
  return Object.assign(hello, overrides);
}

export function podHello(name: string): Hello {
  const podIp = `198.18.${indexOf(name)}.5`;
  return create(HelloSchema, { nodeName: name, network: Network.POD, addresses: [podIp], podCidrs: [podCidrOf(name)], probeAddress: podIp, probePort: 7500 });
}

export const healthyLinks = (): MessageInitShape<typeof LinkStatusSchema>[] => [
  { name: 'flannel.1', role: LinkRole.OVERLAY, present: true, up: true, operState: 'UNKNOWN', mtu: 1450, kind: 'vxlan' },
  { name: 'cni0', role: LinkRole.POD_BRIDGE, present: true, up: true, operState: 'UP', mtu: 1450, kind: 'bridge' },
  { name: 'eth0', role: LinkRole.UNDERLAY, present: true, up: true, operState: 'UP', mtu: 1500, kind: 'veth' },
];

/** The three parts flannel programs toward `peer`, all missing (seed 002). */
export function missingChain(peer: string): MessageInitShape<typeof PartProblemSchema>[] {
  const cidr = podCidrOf(peer);
  const gw = cidr.replace('/24', '');
  return [
    { part: OverlayPart.ROUTE, problem: Problem.MISSING, expected: `${cidr} via ${gw} dev flannel.1 onlink`, actual: 'absent' },
    { part: OverlayPart.NEIGHBOR, problem: Problem.MISSING, expected: `${gw} dev flannel.1 lladdr ${vtepMacOf(peer)} PERMANENT`, actual: 'absent' },
    { part: OverlayPart.FDB, problem: Problem.MISSING, expected: `${vtepMacOf(peer)} dev flannel.1 dst ${nodeIpOf(peer)} self permanent`, actual: 'absent' },
  ];
}

export function nodeReport(options: { peersChecked: number; problems?: { peer: string; parts: MessageInitShape<typeof PartProblemSchema>[] }[]; links?: MessageInitShape<typeof LinkStatusSchema>[] }): NodeReport {
  const problems = options.problems ?? [];
  return create(NodeReportSchema, {
    observedAtUnixMs: 0n,
    peerSetGeneration: 1n,
    overlay: { kind: OverlayKind.FLANNEL_VXLAN, peersChecked: options.peersChecked, peersOk: options.peersChecked - problems.length, problems, healthyDigest: 'x', durationSeconds: 0.001 },
    links: options.links ?? healthyLinks(),
    conntrack: { available: true, entries: 120n, maxEntries: 262144n },
    trigger: 'periodic',
  });
}

export interface TestCluster {
  model: ClusterModel;
  clock: { now: () => number; advance(ms: number): void; set(ms: number): void };
  names: string[];
  key(node: string, network?: 'host' | 'pod'): AgentKey;
  /** `node` reports a healthy overlay. */
  reportHealthy(node: string): void;
  /** `node` reports its whole chain to each of `peers` missing. */
  reportMissing(node: string, peers: string[]): void;
}

export const startMs = Date.parse('2025-10-13T22:00:00.000Z');

export function createTestCluster(options: { nodes?: number; nodeExpiryMs?: number } = {}): TestCluster {
  let nowMs = startMs;
  const clock = { now: () => nowMs, advance: (ms: number) => void (nowMs += ms), set: (ms: number) => void (nowMs = ms) };
  const model = createClusterModel({ now: clock.now, nodeExpiryMs: options.nodeExpiryMs ?? 600_000 });
  const names = Array.from({ length: options.nodes ?? 4 }, (_, i) => `node-${i + 1}`);
  const key = (node: string, network: 'host' | 'pod' = 'host'): AgentKey => ({ node, network });
  const peersChecked = names.length - 1;
  const cluster: TestCluster = {
    model,
    clock,
    names,
    key,
    reportHealthy: (node) => model.agentReport(key(node), nodeReport({ peersChecked })),
    reportMissing: (node, peers) => model.agentReport(key(node), nodeReport({ peersChecked, problems: peers.map((peer) => ({ peer, parts: missingChain(peer) })) })),
  };
  for (const name of names) {
    model.agentConnected(hostHello(name), { connectionId: `conn-${name}`, peerAddress: `${nodeIpOf(name)}:40000` });
    cluster.reportHealthy(name);
  }
  return cluster;
}
