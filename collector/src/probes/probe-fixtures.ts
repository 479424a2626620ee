// A fake probe mesh for unit tests: every live agent probes its peers the way real agents
// do (per round and peer: UDP small ×3, UDP large ×2, TCP ×1; pod agents also DNS over UDP
// and TCP), a fault function decides what is lost where, and each agent's batch carries
// its responder's receipts for the round.
import { create } from '@bufbuild/protobuf';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol, ProbeReceiptSchema, ProbeResultSchema, type ProbeReceipt, type ProbeResult } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { AgentNetwork } from '../model/cluster-snapshot.ts';
import { createPeerSample, type PeerSample } from '../../../agent/src/probe/peer-sample.ts';
import { podHello, type TestCluster } from '../model/test-fixtures.ts';
import type { PathProtocol, SizeClass } from './probe-store.ts';

export type Fate = 'ok' | 'request-lost' | 'reply-lost';
export interface ProbeLeg {
  source: string;
  sourceNetwork: AgentNetwork;
  destination: string;
  network: AgentNetwork;
  protocol: PathProtocol;
  size: SizeClass;
}
export interface MeshFaults {
  path?: (leg: ProbeLeg) => Fate;
  dns?: (source: string, protocol: PathProtocol) => boolean;
  /** Agents that send nothing (killed). */
  silent?: (node: string, network: AgentNetwork) => boolean;
}

const wire = (network: AgentNetwork): Network => (network === 'host' ? Network.HOST : Network.POD);
const shape: { protocol: PathProtocol; size: SizeClass; count: number; bytes: number }[] = [
  { protocol: 'udp', size: 'small', count: 3, bytes: 72 },
  { protocol: 'udp', size: 'large', count: 2, bytes: 1450 },
  { protocol: 'tcp', size: 'small', count: 1, bytes: 64 },
];

export function addPodAgents(cluster: TestCluster): void {
  for (const name of cluster.names) cluster.model.agentConnected(podHello(name), { connectionId: `pod-${name}`, peerAddress: 'x' });
}

/** The agents' real peer sampler (agent/src/probe/peer-sample.ts), one per agent, kept across runRounds calls. */
export interface MeshSampling {
  readonly sampleSize: number;
  readonly fullMeshMaxPeers: number;
  readonly samplers: Map<string, PeerSample>;
}
export const createMeshSampling = (sampleSize: number, fullMeshMaxPeers = 0): MeshSampling => ({ sampleSize, fullMeshMaxPeers, samplers: new Map() });

/** Runs `rounds` probe rounds of `intervalSeconds`, advancing the clock; returns nothing, the model has it all. */
export function runRounds(cluster: TestCluster, rounds: number, faults: MeshFaults = {}, intervalSeconds = 5, sampling?: MeshSampling): void {
  for (let round = 0; round < rounds; round++) {
    cluster.clock.advance(intervalSeconds * 1000);
    const snapshot = cluster.model.snapshot();
    const agents = snapshot.nodes.flatMap((n) => [n.hostAgent, n.podAgent].filter((a) => a?.connected).map((a) => ({ node: n.name, network: a!.network })));
    const results = new Map<string, ProbeResult[]>();
    const received = new Map<string, Map<string, { requests: number; large: number; protocol: PathProtocol; source: string; sourceNetwork: AgentNetwork }>>();
    const sentAt = BigInt(cluster.clock.now());
    const alive = new Set(agents.map((a) => `${a.node}/${a.network}`));
    const sampleRounds = new Map<string, number>();
    for (const agent of agents) {
      if (faults.silent?.(agent.node, agent.network)) continue;
      const list: ProbeResult[] = [];
      const id = `${agent.node}/${agent.network}`;
      results.set(id, list);
      let peers = cluster.model.peerSetFor({ node: agent.node, network: agent.network }).peers;
      let sampler: PeerSample | undefined;
      if (sampling) {
        sampler = sampling.samplers.get(id);
        if (!sampler) sampling.samplers.set(id, (sampler = createPeerSample({ selfNode: agent.node, fullMeshMaxPeers: sampling.fullMeshMaxPeers, sampleSize: sampling.sampleSize })));
        const targets = peers.map((p) => ({ nodeName: p.nodeName, network: p.network, address: p.probeAddress, port: p.probePort, mtu: 1500 }));
        const chosen = new Set(sampler.next(targets).map((t) => `${t.nodeName}/${t.network}`));
        peers = peers.filter((p) => chosen.has(`${p.nodeName}/${p.network}`));
        sampleRounds.set(id, sampler.boundRounds(new Set(targets.map((t) => t.nodeName)).size));
      }
      const outcome = new Map<string, boolean>();
      for (const peer of peers) {
        const network: AgentNetwork = peer.network === Network.POD ? 'pod' : 'host';
        const targetAlive = alive.has(`${peer.nodeName}/${network}`) && !faults.silent?.(peer.nodeName, network);
        for (const s of shape) {
          const leg: ProbeLeg = { source: agent.node, sourceNetwork: agent.network, destination: peer.nodeName, network, protocol: s.protocol, size: s.size };
          const fate: Fate = targetAlive ? (faults.path?.(leg) ?? 'ok') : 'request-lost';
          outcome.set(peer.nodeName, (outcome.get(peer.nodeName) ?? true) && fate === 'ok');
          for (let i = 0; i < s.count; i++) {
            list.push(create(ProbeResultSchema, { targetNode: peer.nodeName, protocol: s.protocol === 'udp' ? ProbeProtocol.UDP : ProbeProtocol.TCP, ok: fate === 'ok', rttSeconds: fate === 'ok' ? 0.0004 + i * 0.0001 : 0, sizeBytes: s.bytes, error: fate === 'ok' ? '' : 'timeout', sentAtUnixMs: sentAt, targetNetwork: wire(network), large: s.size === 'large' }));
          }
          if (fate === 'request-lost' || !targetAlive) continue;
          const at = `${peer.nodeName}/${network}`;
          const byKey = received.get(at) ?? new Map();
          received.set(at, byKey);
          const key = `${agent.node}/${agent.network}/${s.protocol}`;
          const entry = byKey.get(key) ?? { requests: 0, large: 0, protocol: s.protocol, source: agent.node, sourceNetwork: agent.network };
          entry.requests += s.count;
          if (s.size === 'large') entry.large += s.count;
          byKey.set(key, entry);
        }
      }
      sampler?.observe(outcome);
      if (agent.network === 'pod') {
        for (const protocol of ['udp', 'tcp'] as const) {
          const failed = faults.dns?.(agent.node, protocol) ?? false;
          list.push(create(ProbeResultSchema, { protocol: protocol === 'udp' ? ProbeProtocol.DNS_UDP : ProbeProtocol.DNS_TCP, ok: !failed, rttSeconds: failed ? 0 : 0.001, error: failed ? 'timeout' : '', target: '10.96.0.10:53', sentAtUnixMs: sentAt }));
        }
      }
    }
    for (const [id, list] of results) {
      const [node, network] = id.split('/') as [string, AgentNetwork];
      const receipts: ProbeReceipt[] = [...(received.get(id)?.values() ?? [])].map((r) =>
        create(ProbeReceiptSchema, { sourceNode: r.source, sourceNetwork: wire(r.sourceNetwork), protocol: r.protocol === 'udp' ? ProbeProtocol.UDP : ProbeProtocol.TCP, requests: r.requests, largeRequests: r.large }),
      );
      cluster.model.agentProbeBatch({ node, network }, create(ProbeBatchSchema, { results: list, receipts, intervalSeconds, sampleRounds: sampleRounds.get(id) ?? 1, eventLoopDelayP99Seconds: 0.003 }));
    }
  }
}
