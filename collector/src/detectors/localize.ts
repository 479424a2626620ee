// The localization rules: name the node(s) behind pair failures instead of the failing
// pairs. A node is accepted when ≥ 50 % of its known pairs (both directions) are bad while
// ≥ 80 % of the known pairs not involving it are good. Greedy, worst node first; an accepted
// node's pairs are set aside, so one broken node does not make its peers look half-broken,
// and two broken nodes are both found. mesh-index.ts applies them to counts it keeps up to
// date; mesh-index.test.ts holds the same rules over a plain pair list as its reference.
import type { Pair } from './pair.ts';

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
