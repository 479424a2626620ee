// The reachability matrix in a terminal: one character per directed pair, one block per
// network, UDP and TCP folded together (the worst of the two). Rows are sources, columns
// destinations, numbered so 100 nodes still fit in ~110 columns.
import type { ApiCell, ApiMatrixAnswer, ApiWorstRow, CellState } from './api-types.ts';
import type { CollectorClient } from './collector-client.ts';
import { clean, padVisible, visibleLength, type Palette } from './palette.ts';

export type { CellState } from './api-types.ts';

const rank: Record<CellState, number> = { unknown: 0, ok: 1, degraded: 2, failing: 3 };

/** The cell's state as the collector served it; no cell (or a collector that does not say) is unknown. */
export const cellState = (cell: ApiCell | undefined): CellState => cell?.state ?? 'unknown';

export const naturalCompare = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

export interface NetworkGrid {
  network: string;
  protocols: string[];
  nodes: string[];
  state(source: string, destination: string): CellState;
  /** Nodes the collector marks on any of this network's matrices (ApiNodeMark: named by an open finding, or broken). */
  marked: Set<string>;
}

export function networkGrids(answer: ApiMatrixAnswer): NetworkGrid[] {
  const grids: NetworkGrid[] = [];
  for (const network of [...new Set(answer.matrices.map((m) => m.network))]) {
    const matrices = answer.matrices.filter((m) => m.network === network);
    const states = new Map<string, CellState>();
    const names = new Set<string>();
    const marked = new Set<string>();
    for (const m of matrices) {
      for (const n of m.nodes ?? []) names.add(n);
      for (const mark of m.marks ?? []) if (mark.node) marked.add(mark.node);
      for (const c of m.cells ?? []) {
        names.add(c.source).add(c.destination);
        const key = `${c.source}\u0000${c.destination}`;
        const s = cellState(c);
        if (rank[s] > rank[states.get(key) ?? 'unknown']) states.set(key, s);
      }
    }
    if (names.size === 0) continue;
    const nodes = [...names].sort(naturalCompare);
    const state = (s: string, d: string): CellState => states.get(`${s}\u0000${d}`) ?? 'unknown';
    grids.push({ network, protocols: matrices.map((m) => m.protocol), nodes, state, marked });
  }
  return grids;
}

const symbols: Record<CellState, string> = { ok: '·', degraded: '!', failing: '✕', unknown: ' ' };

export function formatGrid(grid: NetworkGrid, palette: Palette): string {
  const colour = (s: CellState, text: string) =>
    s === 'failing' ? palette.red(text) : s === 'degraded' ? palette.yellow(text) : s === 'ok' ? palette.green(text) : text;
  const n = grid.nodes.length;
  const gap = n > 40 ? '' : ' ';
  const indexWidth = String(n).length;
  const nameWidth = Math.max(...grid.nodes.map((x) => clean(x).length));
  const lead = 2 + indexWidth + 1 + nameWidth + 2;
  const lines = [
    `${palette.bold(`${grid.network} network`)} (${grid.protocols.join('+')}, worst of; rows → columns): ✕ failing  ! degraded  · ok  blank no data`,
  ];
  // Column numbers, one digit per line (tens above units) so each column stays one character wide.
  for (let digit = 0; digit < indexWidth; digit++) {
    const heads = grid.nodes.map((_, i) => String(i + 1).padStart(indexWidth, ' ')[digit]);
    lines.push(' '.repeat(lead) + heads.join(gap));
  }
  grid.nodes.forEach((source, i) => {
    const mark = grid.marked.has(source) ? palette.red('✕') : ' ';
    const label = `${mark} ${String(i + 1).padStart(indexWidth)} ${clean(source).padEnd(nameWidth)}  `;
    const cells = grid.nodes.map((destination) =>
      destination === source ? palette.dim('-') : colour(grid.state(source, destination), symbols[grid.state(source, destination)]),
    );
    lines.push(label + cells.join(gap));
  });
  return lines.join('\n');
}

/** Above this many nodes a grid is unreadable in a terminal; status shows the worst rows instead. */
export const fullMatrixLimit = 40;
const worstRowsShown = 20;

interface NodeTally {
  node: string;
  outFailing: number;
  outMeasured: number;
  inFailing: number;
  inMeasured: number;
  degraded: number;
}

/** A marked node's rows count every pair; another node's skip pairs with a marked node, which that node explains. */
function tally(grid: NetworkGrid, node: string, marked: ReadonlySet<string>): NodeTally {
  const t: NodeTally = { node, outFailing: 0, outMeasured: 0, inFailing: 0, inMeasured: 0, degraded: 0 };
  for (const other of grid.nodes) {
    if (other === node || (!marked.has(node) && marked.has(other))) continue;
    const out = grid.state(node, other);
    const inbound = grid.state(other, node);
    if (out !== 'unknown') t.outMeasured++;
    if (inbound !== 'unknown') t.inMeasured++;
    if (out === 'failing') t.outFailing++;
    if (inbound === 'failing') t.inFailing++;
    if (out === 'degraded') t.degraded++;
  }
  return t;
}

/** A large grid as its worst rows: the nodes named by findings or with failing or degraded pairs, worst first. */
export function formatWorstRows(grid: NetworkGrid, palette: Palette, limit = worstRowsShown): string {
  const marked = grid.marked;
  const tallies = grid.nodes.map((n) => tally(grid, n, marked));
  const score = (t: NodeTally) => (marked.has(t.node) ? 1e9 : 0) + (t.outFailing + t.inFailing) * 1e3 + t.degraded;
  const bad = tallies.filter((t) => score(t) > 0).sort((a, b) => score(b) - score(a) || naturalCompare(a.node, b.node));
  const shown = bad.slice(0, limit);
  const noData = tallies.filter((t) => t.outMeasured + t.inMeasured === 0 && !marked.has(t.node)).length;
  const head = `${palette.bold(`${grid.network} network`)} (${grid.protocols.join('+')}, worst of): ${grid.nodes.length} nodes, ${bad.length === 0 ? 'no failing or degraded pair' : `the ${shown.length} worst of ${bad.length} with problems`} (-o wide: the full matrix)`;
  if (shown.length === 0)
    return `${head}\n  every measured pair ok${noData ? ` (${noData} node${noData === 1 ? '' : 's'} with no data yet)` : ''}`;
  const rows = shown.map((t) => [
    `${marked.has(t.node) ? palette.red('✕') : ' '} ${clean(t.node)}`,
    `${t.outFailing}/${t.outMeasured}`,
    `${t.inFailing}/${t.inMeasured}`,
    String(t.degraded),
  ]);
  const header = ['  NODE', 'OUT FAILING', 'IN FAILING', 'DEGRADED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]!))));
  const line = (cols: string[]) =>
    cols
      .map((c, i) => padVisible(c, widths[i]!))
      .join('  ')
      .trimEnd();
  const rest = grid.nodes.length - shown.length;
  const tail = bad.length > shown.length ? `${bad.length - shown.length} more with problems, ` : '';
  return [
    head,
    line(header),
    ...rows.map(line),
    `  ${rest} more nodes: ${tail}the rest ok${noData ? ` or without data (${noData})` : ''}`,
  ].join('\n');
}

/**
 * What `status` reads: the worst rows (?worst=, O(rows), not every cell) and every cell only of
 * networks small enough to draw (or all of them with -o wide). A collector without ?worst=
 * answers cells, which are drawn as before.
 */
export async function statusMatrix(client: Pick<CollectorClient, 'matrix'>, full: boolean): Promise<ApiMatrixAnswer> {
  if (full) return client.matrix();
  const worst = await client.matrix({ worst: worstRowsShown });
  const counts = new Map<string, number>();
  for (const m of worst.matrices) if (m.worst) counts.set(m.network, Math.max(counts.get(m.network) ?? 0, m.nodeCount ?? 0));
  const small = [...counts].filter(([, count]) => count > 0 && count <= fullMatrixLimit).map(([network]) => network);
  const grids = await Promise.all(small.map((network) => client.matrix({ network })));
  return { matrices: [...worst.matrices.filter((m) => !small.includes(m.network)), ...grids.flatMap((g) => g.matrices)] };
}

/** Rows of a ?worst= answer, UDP and TCP folded per node (the larger count of the two). */
function formatWorstAnswer(network: string, matrices: ApiMatrixAnswer['matrices'], palette: Palette): { text: string; marked: boolean } {
  const named = new Set(matrices.flatMap((m) => (m.marks ?? []).map((mark) => mark.node)));
  const byNode = new Map<string, ApiWorstRow>();
  for (const m of matrices) {
    for (const r of m.worst ?? []) {
      const t = byNode.get(r.node);
      if (!t) byNode.set(r.node, { ...r });
      else for (const k of ['outFailing', 'outMeasured', 'inFailing', 'inMeasured', 'degraded'] as const) t[k] = Math.max(t[k], r[k]);
      if (r.marked || r.broken) byNode.get(r.node)!.marked = true;
    }
  }
  const isMarked = (r: ApiWorstRow) => Boolean(r.marked) || named.has(r.node);
  const score = (r: ApiWorstRow) => (isMarked(r) ? 1e9 : 0) + (r.outFailing + r.inFailing) * 1e3 + r.degraded;
  const bad = [...byNode.values()].filter((r) => score(r) > 0).sort((a, b) => score(b) - score(a) || naturalCompare(a.node, b.node));
  const shown = bad.slice(0, worstRowsShown);
  const total = Math.max(...matrices.map((m) => m.nodeCount ?? 0));
  const problems = Math.max(bad.length, ...matrices.map((m) => m.nodesWithProblems ?? 0));
  const head = `${palette.bold(`${network} network`)} (${matrices.map((m) => m.protocol).join('+')}, worst of): ${total} nodes, ${problems === 0 ? 'no failing or degraded pair' : `the ${shown.length} worst of ${problems} with problems`} (-o wide: the full matrix)`;
  if (shown.length === 0) return { text: `${head}\n  every measured pair ok`, marked: false };
  const rows = shown.map((t) => [
    `${isMarked(t) ? palette.red('✕') : ' '} ${clean(t.node)}`,
    `${t.outFailing}/${t.outMeasured}`,
    `${t.inFailing}/${t.inMeasured}`,
    String(t.degraded),
  ]);
  const header = ['  NODE', 'OUT FAILING', 'IN FAILING', 'DEGRADED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]!))));
  const line = (cols: string[]) =>
    cols
      .map((c, i) => padVisible(c, widths[i]!))
      .join('  ')
      .trimEnd();
  const tail = problems > shown.length ? `${problems - shown.length} more with problems, ` : '';
  return {
    text: [head, line(header), ...rows.map(line), `  ${total - shown.length} more nodes: ${tail}the rest ok or without data`].join('\n'),
    marked: shown.some(isMarked),
  };
}

export function formatMatrix(answer: ApiMatrixAnswer, palette: Palette, options: { full?: boolean } = {}): string {
  const grids = networkGrids(answer);
  const worstNetworks = [...new Set(answer.matrices.filter((m) => m.worst).map((m) => m.network))];
  const worst = worstNetworks.map((network) =>
    formatWorstAnswer(
      network,
      answer.matrices.filter((m) => m.network === network && m.worst),
      palette,
    ),
  );
  if (grids.length === 0 && worst.length === 0) return 'Reachability: no probe data yet.';
  const text = [
    ...grids.map((g) => (options.full || g.nodes.length <= fullMatrixLimit ? formatGrid(g, palette) : formatWorstRows(g, palette))),
    ...worst.map((w) => w.text),
  ].join('\n\n');
  const anyMarked = worst.some((w) => w.marked) || grids.some((g) => g.nodes.some((n) => g.marked.has(n)));
  return anyMarked
    ? `${text}\n${palette.red('✕')} before a node: named by an open finding, or failing on at least half of its pairs`
    : text;
}
