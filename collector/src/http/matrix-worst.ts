// GET /api/v1/matrix?worst=N: a large mesh as its N worst source rows (counts per node), so
// the page and the CLI read O(N) instead of every cell (O(nodes²)). The tallies are built once
// per probe view (the model hands out the same view until the store changes) and network/
// protocol; a request then costs O(nodes with problems + pairs of the marked nodes).
import type { AgentNetwork } from '../model/agent-network.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { networkAgent } from '../model/pod-network-agent.ts';
import type { ApiWorstRow } from '../../../shared/src/api-types.ts';
import type { PathState } from '../probes/probe-view.ts';
import type { PathProtocol } from '../probes/probe-store.ts';
import type { MatrixCounts } from './node-marks.ts';

export const maxWorstRows = 500;

/** ?worst= as a number, or a message saying what is wrong with it. */
export function parseWorst(query: Record<string, unknown>): { worst?: number } | { error: string } {
  if (query.worst === undefined) return {};
  const text = String(query.worst);
  if (!/^\d{1,4}$/.test(text) || Number(text) < 1 || Number(text) > maxWorstRows)
    return { error: `worst must be an integer in 1..${maxWorstRows}, got '${text.slice(0, 32)}'` };
  if (query.limit !== undefined || query.after !== undefined) return { error: 'worst cannot be combined with limit or after' };
  return { worst: Number(text) };
}

type CellState = 'ok' | 'deg' | 'fail';
interface Tally {
  outFailing: number;
  outMeasured: number;
  inFailing: number;
  inMeasured: number;
  degraded: number;
}
interface Pair {
  source: string;
  destination: string;
  state: CellState;
}
interface Base {
  names: Set<string>;
  tallies: Map<string, Tally>;
  /** Measured pairs by either end, to take a marked node's pairs out of its peers' rows. */
  pairsOf: Map<string, Pair[]>;
  /** Failing on at least half of the pairs it takes part in (its peers then fail only towards it). */
  broken: Map<string, { failing: number; measured: number }>;
}

export type WorstRow = ApiWorstRow;

const bases = new WeakMap<object, Map<string, Base>>();
const answers = new WeakMap<Base, { key: string; rows: WorstRow[]; withProblems: number }>();

function stateOf(p: PathState, large: PathState | undefined): CellState | undefined {
  if (!p.attempts) return undefined;
  if (p.failing) return 'fail';
  return (p.lossRatio ?? 0) > 0 || large?.failing ? 'deg' : 'ok';
}

function baseOf(snapshot: ClusterSnapshot, network: AgentNetwork, protocol: PathProtocol): Base {
  const { probes } = snapshot;
  let perView = bases.get(probes);
  if (!perView) bases.set(probes, (perView = new Map()));
  const cached = perView.get(`${network}|${protocol}`);
  if (cached) return cached;
  const names = new Set(snapshot.nodes.filter((n) => networkAgent(n, network)).map((n) => n.name));
  const large = new Map<string, PathState>();
  if (protocol === 'udp')
    for (const p of probes.paths) if (p.size === 'large' && p.network === network) large.set(`${p.source}|${p.destination}`, p);
  const base: Base = { names, tallies: new Map(), pairsOf: new Map(), broken: new Map() };
  const tally = (n: string) =>
    base.tallies.get(n) ??
    (base.tallies.set(n, { outFailing: 0, outMeasured: 0, inFailing: 0, inMeasured: 0, degraded: 0 }), base.tallies.get(n)!);
  for (const p of probes.paths) {
    if (p.network !== network || p.protocol !== protocol || p.size !== 'small') continue;
    names.add(p.source).add(p.destination);
    const state = stateOf(p, large.get(`${p.source}|${p.destination}`));
    if (!state || p.source === p.destination) continue;
    const out = tally(p.source);
    const into = tally(p.destination);
    out.outMeasured++;
    into.inMeasured++;
    if (state === 'fail') {
      out.outFailing++;
      into.inFailing++;
    }
    if (state === 'deg') out.degraded++;
    const pair = { source: p.source, destination: p.destination, state };
    for (const n of [p.source, p.destination]) {
      const list = base.pairsOf.get(n);
      if (list) list.push(pair);
      else base.pairsOf.set(n, [pair]);
    }
  }
  for (const [node, t] of base.tallies) {
    const measured = t.outMeasured + t.inMeasured;
    const failing = t.outFailing + t.inFailing;
    if (measured >= 2 && failing / measured >= 0.5) base.broken.set(node, { failing, measured });
  }
  perView.set(`${network}|${protocol}`, base);
  return base;
}

/** The broken nodes and failing-pair counts of one matrix (node-marks.ts), from the same per-view tallies. */
export function matrixCounts(snapshot: ClusterSnapshot, network: AgentNetwork, protocol: PathProtocol): MatrixCounts {
  const base = baseOf(snapshot, network, protocol);
  return {
    broken: base.broken,
    failingOf: (node) => {
      const t = base.tallies.get(node);
      return t ? t.outFailing + t.inFailing : 0;
    },
  };
}

const score = (r: WorstRow) => (r.marked ? 1e9 : 0) + (r.outFailing + r.inFailing) * 1e3 + r.degraded;
const naturalCompare = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** The `worst` nodes by problems, marked nodes (`named`: by open findings) first, and how many have any. */
export function worstRows(
  snapshot: ClusterSnapshot,
  network: AgentNetwork,
  protocol: PathProtocol,
  worst: number,
  named: ReadonlySet<string>,
) {
  const base = baseOf(snapshot, network, protocol);
  const marked = new Set([...base.broken.keys(), ...[...named].filter((n) => base.names.has(n))]);
  const key = [...marked].sort().join('\u0000');
  let answer = answers.get(base);
  if (!answer || answer.key !== key) {
    const rows = new Map<string, WorstRow>();
    const row = (n: string): WorstRow =>
      rows.get(n) ??
      (rows.set(n, { node: n, ...(base.tallies.get(n) ?? { outFailing: 0, outMeasured: 0, inFailing: 0, inMeasured: 0, degraded: 0 }) }),
      rows.get(n)!);
    for (const [n, t] of base.tallies) if (t.outFailing + t.inFailing + t.degraded > 0) row(n);
    for (const m of marked) {
      const r = row(m);
      r.marked = true;
      const broken = base.broken.get(m);
      if (broken) r.broken = broken;
    }
    // A marked node explains its pairs: take them out of its unmarked peers' rows.
    for (const m of marked) {
      for (const p of base.pairsOf.get(m) ?? []) {
        const peer = p.source === m ? p.destination : p.source;
        if (marked.has(peer) || !rows.has(peer)) continue;
        const r = rows.get(peer)!;
        if (peer === p.source) {
          r.outMeasured--;
          if (p.state === 'fail') r.outFailing--;
          if (p.state === 'deg') r.degraded--;
        } else {
          r.inMeasured--;
          if (p.state === 'fail') r.inFailing--;
        }
      }
    }
    const bad = [...rows.values()].filter((r) => score(r) > 0).sort((a, b) => score(b) - score(a) || naturalCompare(a.node, b.node));
    answer = { key, rows: bad.slice(0, maxWorstRows), withProblems: bad.length };
    answers.set(base, answer);
  }
  return { nodeCount: base.names.size, nodesWithProblems: answer.withProblems, worst: answer.rows.slice(0, worst) };
}
