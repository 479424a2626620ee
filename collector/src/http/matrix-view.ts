// GET /api/v1/matrix: the probe mesh per network and protocol, one cell per directed pair
// with state (small probes; large-probe loss beside it for UDP). Plain JSON values.
import type {
  ApiCell,
  ApiCellState,
  ApiMatrix,
  ApiMatrixAnswer,
  ApiNodeProbes,
  ApiWorstAnswer,
  ApiWorstMatrix,
} from '../../../shared/src/api-types.ts';
import type { AgentNetwork } from '../model/agent-network.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { networkAgent } from '../model/pod-network-agent.ts';
import type { PathProtocol } from '../probes/probe-store.ts';
import { matrixCounts, worstRows } from './matrix-worst.ts';
import { nodeMarks, type MarkingFinding } from './node-marks.ts';
import { pageOf, type PageQuery } from './page-query.ts';

export const matrixNetworks = ['host', 'pod'] as const;
export const matrixProtocols = ['udp', 'tcp'] as const;

const round = (value: number | undefined): number | null => (value === undefined ? null : Math.round(value * 1e6) / 1e6);

/** A cell's cursor for ?after=: node names hold no '/'. */
const cellKey = (p: { source: string; destination: string }): string => `${p.source}/${p.destination}`;

/** The colour every reader gives a cell (ApiCellState). */
export function cellState(cell: Pick<ApiCell, 'attempts' | 'failing' | 'lossRatio' | 'large'>): ApiCellState {
  if (!cell.attempts) return 'unknown';
  if (cell.failing) return 'failing';
  if ((cell.lossRatio ?? 0) > 0 || cell.large?.failing) return 'degraded';
  return 'ok';
}

export function matrixView(
  snapshot: ClusterSnapshot,
  filter: { network?: AgentNetwork; protocol?: PathProtocol; page?: PageQuery },
  /** Open findings: the nodes they name are marked. */
  findings: readonly MarkingFinding[] = [],
): ApiMatrixAnswer {
  const { probes } = snapshot;
  const large = new Map(probes.paths.filter((p) => p.size === 'large').map((p) => [`${p.source}|${p.destination}|${p.network}`, p]));
  const matrices: ApiMatrix[] = [];
  for (const network of matrixNetworks) {
    if (filter.network && filter.network !== network) continue;
    const nodes = snapshot.nodes.filter((n) => networkAgent(n, network)).map((n) => n.name);
    for (const protocol of matrixProtocols) {
      if (filter.protocol && filter.protocol !== protocol) continue;
      const sorted = probes.paths
        .filter((p) => p.network === network && p.protocol === protocol && p.size === 'small')
        .sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.destination < b.destination ? -1 : 1));
      const { items, nextAfter } = pageOf(sorted, cellKey, filter.page ?? {});
      const cells = items.map((p): ApiCell => {
        const big = protocol === 'udp' ? large.get(`${p.source}|${p.destination}|${network}`) : undefined;
        const cell: Omit<ApiCell, 'state'> = {
          source: p.source,
          destination: p.destination,
          attempts: p.attempts,
          failures: p.failures,
          lossRatio: round(p.lossRatio),
          rttP50Seconds: round(p.rttP50Seconds),
          rttP95Seconds: round(p.rttP95Seconds),
          failing: p.failing,
          ...(p.direction ? { direction: p.direction } : {}),
          ...(big
            ? {
                large: {
                  attempts: big.attempts,
                  failures: big.failures,
                  failing: big.failing,
                  sizeBytes: Math.max(big.okSizeBytes, big.failedSizeBytes),
                },
              }
            : {}),
        };
        return { ...cell, state: cellState(cell) };
      });
      const marks = nodeMarks(findings, matrixCounts(snapshot, network, protocol), { network, protocol });
      matrices.push({ network, protocol, nodeCount: nodes.length, nodes, cells, marks, ...(nextAfter !== undefined ? { nextAfter } : {}) });
    }
  }
  return { generatedAt: new Date(snapshot.nowMs).toISOString(), windowSeconds: probes.windowSeconds, matrices };
}

/**
 * ?worst=N: instead of cells, the N worst source rows per matrix (matrix-worst.ts); the nodes
 * open `findings` name are marked, as the page and CLI mark them.
 */
export function matrixWorstView(
  snapshot: ClusterSnapshot,
  filter: { network?: AgentNetwork; protocol?: PathProtocol; worst: number },
  findings: readonly MarkingFinding[] = [],
): ApiWorstAnswer {
  const open = findings.filter((f) => f.state === undefined || f.state === 'open');
  const named = new Set(open.flatMap((f) => f.nodes));
  const matrices: ApiWorstMatrix[] = [];
  for (const network of matrixNetworks) {
    if (filter.network && filter.network !== network) continue;
    for (const protocol of matrixProtocols) {
      if (filter.protocol && filter.protocol !== protocol) continue;
      matrices.push({
        network,
        protocol,
        ...worstRows(snapshot, network, protocol, filter.worst, named),
        marks: nodeMarks(open, matrixCounts(snapshot, network, protocol), { network, protocol }),
      });
    }
  }
  return { generatedAt: new Date(snapshot.nowMs).toISOString(), windowSeconds: snapshot.probes.windowSeconds, matrices };
}

type LossRow = {
  network: AgentNetwork;
  protocol: PathProtocol;
  direction: 'outbound' | 'inbound';
  attempts: number;
  failures: number;
  lossRatio: number | null;
};
type NodeProbes = {
  agents: ClusterSnapshot['probes']['agents'][number][];
  totals: Map<string, LossRow>;
  dns: ClusterSnapshot['probes']['dns'][number][];
};

// One index per probe view (the model hands out the same view object until the store
// changes): GET /api/v1/nodes is then O(paths + answer), not O(nodes × paths).
const indexes = new WeakMap<object, Map<string, NodeProbes>>();

function probeIndex(snapshot: ClusterSnapshot): Map<string, NodeProbes> {
  const { probes } = snapshot;
  let index = indexes.get(probes);
  if (index) return index;
  index = new Map();
  const entry = (node: string): NodeProbes => {
    let e = index!.get(node);
    if (!e) index!.set(node, (e = { agents: [], totals: new Map(), dns: [] }));
    return e;
  };
  for (const agent of probes.agents) entry(agent.node).agents.push(agent);
  for (const d of probes.dns) entry(d.source).dns.push(d);
  for (const p of probes.paths) {
    if (p.size !== 'small') continue;
    for (const [direction, node] of [
      ['outbound', p.source],
      ['inbound', p.destination],
    ] as const) {
      const totals = entry(node).totals;
      const key = `${p.network}|${p.protocol}|${direction}`;
      let row = totals.get(key);
      if (!row) totals.set(key, (row = { network: p.network, protocol: p.protocol, direction, attempts: 0, failures: 0, lossRatio: null }));
      row.attempts += p.attempts;
      row.failures += p.failures;
    }
  }
  indexes.set(probes, index);
  return index;
}

/** Per node, for GET /api/v1/nodes: event-loop delay and outbound / inbound small-probe loss per network and protocol. */
export function nodeProbeView(snapshot: ClusterSnapshot, node: string): ApiNodeProbes | undefined {
  const entry = probeIndex(snapshot).get(node);
  if (!entry || entry.agents.length === 0) return undefined;
  const loss: LossRow[] = [];
  for (const network of matrixNetworks) {
    for (const protocol of matrixProtocols) {
      for (const direction of ['outbound', 'inbound'] as const) {
        const row = entry.totals.get(`${network}|${protocol}|${direction}`);
        if (row) loss.push({ ...row, lossRatio: row.attempts ? round(row.failures / row.attempts) : null });
      }
    }
  }
  return {
    agents: entry.agents.map((a) => ({
      network: a.network,
      lastBatch: new Date(a.lastBatchMs).toISOString(),
      intervalSeconds: a.intervalSeconds,
      eventLoopDelayP99Seconds: a.eventLoopDelayP99Seconds,
    })),
    loss,
    dns: entry.dns.map((d) => ({
      protocol: d.protocol,
      resolver: d.resolver,
      attempts: d.attempts,
      failures: d.failures,
      failing: d.failing,
    })),
  };
}
