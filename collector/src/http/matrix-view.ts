// GET /api/v1/matrix: the probe mesh per network and protocol, one cell per directed pair
// with state (small probes; large-probe loss beside it for UDP). Plain JSON values.
import type { AgentNetwork, ClusterSnapshot } from '../model/cluster-snapshot.ts';
import type { PathProtocol } from '../probes/probe-store.ts';

export const matrixNetworks = ['host', 'pod'] as const;
export const matrixProtocols = ['udp', 'tcp'] as const;

const round = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value * 1e6) / 1e6);

export function matrixView(snapshot: ClusterSnapshot, filter: { network?: AgentNetwork; protocol?: PathProtocol }) {
  const { probes } = snapshot;
  const large = new Map(probes.paths.filter((p) => p.size === 'large').map((p) => [`${p.source}|${p.destination}|${p.network}`, p]));
  const matrices = [];
  for (const network of matrixNetworks) {
    if (filter.network && filter.network !== network) continue;
    const nodes = snapshot.nodes.filter((n) => (network === 'host' ? n.hostAgent : n.podAgent)).map((n) => n.name);
    for (const protocol of matrixProtocols) {
      if (filter.protocol && filter.protocol !== protocol) continue;
      const cells = probes.paths
        .filter((p) => p.network === network && p.protocol === protocol && p.size === 'small')
        .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : 1))
        .map((p) => {
          const big = protocol === 'udp' ? large.get(`${p.source}|${p.destination}|${network}`) : undefined;
          return {
            source: p.source,
            destination: p.destination,
            attempts: p.attempts,
            failures: p.failures,
            lossRatio: round(p.lossRatio),
            rttP50Seconds: round(p.rttP50Seconds),
            rttP95Seconds: round(p.rttP95Seconds),
            failing: p.failing,
            ...(p.direction ? { direction: p.direction } : {}),
            ...(big ? { large: { attempts: big.attempts, failures: big.failures, failing: big.failing, sizeBytes: Math.max(big.okSizeBytes, big.failedSizeBytes) } } : {}),
          };
        });
      matrices.push({ network, protocol, nodes, cells });
    }
  }
  return { generatedAt: new Date(snapshot.nowMs).toISOString(), windowSeconds: probes.windowSeconds, matrices };
}

/** Per node, for GET /api/v1/nodes: event-loop delay and outbound / inbound small-probe loss per network and protocol. */
export function nodeProbeView(snapshot: ClusterSnapshot, node: string) {
  const agents = snapshot.probes.agents.filter((a) => a.node === node);
  if (agents.length === 0) return undefined;
  const loss: { network: AgentNetwork; protocol: PathProtocol; direction: 'outbound' | 'inbound'; attempts: number; failures: number; lossRatio: number | null }[] = [];
  for (const network of matrixNetworks) {
    for (const protocol of matrixProtocols) {
      for (const direction of ['outbound', 'inbound'] as const) {
        const paths = snapshot.probes.paths.filter((p) => p.network === network && p.protocol === protocol && p.size === 'small' && (direction === 'outbound' ? p.source : p.destination) === node);
        if (paths.length === 0) continue;
        const attempts = paths.reduce((sum, p) => sum + p.attempts, 0);
        const failures = paths.reduce((sum, p) => sum + p.failures, 0);
        loss.push({ network, protocol, direction, attempts, failures, lossRatio: attempts ? round(failures / attempts) : null });
      }
    }
  }
  return {
    agents: agents.map((a) => ({ network: a.network, lastBatch: new Date(a.lastBatchMs).toISOString(), intervalSeconds: a.intervalSeconds, eventLoopDelayP99Seconds: a.eventLoopDelayP99Seconds })),
    loss,
    dns: snapshot.probes.dns.filter((d) => d.source === node).map((d) => ({ protocol: d.protocol, resolver: d.resolver, attempts: d.attempts, failures: d.failures, failing: d.failing })),
  };
}
