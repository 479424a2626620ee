// Names the node(s) behind pair failures instead of the failing pairs. A node is accepted
// when ≥ 50 % of its known pairs (both directions) are bad while ≥ 80 % of the known pairs
// not involving it are good. Greedy, worst node first; an accepted node's pairs are set
// aside, so one broken node does not make its peers look half-broken, and two broken
// nodes are both found. O(pairs + accepted × degree).
import type { Pair } from './mesh-pairs.ts';

export interface Localized {
  node: string;
  /** Pairs from / to the node whose status is known, and the bad ones among them. */
  outbound: { known: Pair[]; bad: Pair[] };
  inbound: { known: Pair[]; bad: Pair[] };
  /** Known pairs not involving accepted nodes, and the good ones among them, when accepted. */
  others: { known: number; good: number };
}

export const nodeBadRatio = 0.5;
export const othersGoodRatio = 0.8;

/** `verdict` is true for a bad pair, false for a good one, undefined when unknown. */
export function localize(pairs: readonly Pair[], verdict: (pair: Pair) => boolean | undefined): Localized[] {
  const counts = new Map<string, { known: number; bad: number; edges: { pair: Pair; bad: boolean }[] }>();
  const total = { known: 0, bad: 0 };
  const entry = (node: string) => {
    let c = counts.get(node);
    if (!c) counts.set(node, (c = { known: 0, bad: 0, edges: [] }));
    return c;
  };
  for (const pair of pairs) {
    const v = verdict(pair);
    if (v === undefined) continue;
    const edge = { pair, bad: v };
    total.known += 1;
    if (v) total.bad += 1;
    for (const node of [pair.source, pair.destination]) {
      const c = entry(node);
      c.known += 1;
      if (v) c.bad += 1;
      c.edges.push(edge);
    }
  }
  const accepted = new Set<string>();
  const out: Localized[] = [];
  for (;;) {
    let best: string | undefined;
    let bestRatio = 0;
    for (const [node, c] of counts) {
      if (accepted.has(node) || c.known === 0 || c.bad === 0) continue;
      const ratio = c.bad / c.known;
      if (ratio > bestRatio || (ratio === bestRatio && best !== undefined && node < best)) [best, bestRatio] = [node, ratio];
    }
    if (best === undefined || bestRatio < nodeBadRatio) break;
    const c = counts.get(best)!;
    const othersKnown = total.known - c.known;
    const othersGood = othersKnown - (total.bad - c.bad);
    if (othersKnown === 0 || othersGood / othersKnown < othersGoodRatio) break;
    const active = c.edges.filter((e) => !accepted.has(e.pair.source === best ? e.pair.destination : e.pair.source));
    const side = (outbound: boolean) => {
      const edges = active.filter((e) => (e.pair.source === best) === outbound);
      return { known: edges.map((e) => e.pair), bad: edges.filter((e) => e.bad).map((e) => e.pair) };
    };
    out.push({ node: best, outbound: side(true), inbound: side(false), others: { known: othersKnown, good: othersGood } });
    accepted.add(best);
    for (const e of active) {
      const other = counts.get(e.pair.source === best ? e.pair.destination : e.pair.source)!;
      other.known -= 1;
      if (e.bad) other.bad -= 1;
      total.known -= 1;
      if (e.bad) total.bad -= 1;
    }
    c.known = 0;
    c.bad = 0;
  }
  return out.sort((a, b) => (a.node < b.node ? -1 : 1));
}
