// How many peers have an overlay problem, and which parts: a report lists only the first
// peers by name (agents send at most 100), so counts come from peers_checked − peers_ok and
// the report's part counts, falling back to the list for agents that predate them.
import type { OverlayVerification } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

export function problemPeerCount(overlay: OverlayVerification | undefined): number {
  if (!overlay) return 0;
  return Math.max(overlay.problems.length, overlay.peersChecked - overlay.peersOk);
}

/** (part, problem, peers) over every peer with a problem, listed or not. */
export function partCounts(overlay: OverlayVerification): Array<{ part: number; problem: number; peers: number }> {
  if (overlay.partCounts.length > 0) return overlay.partCounts.map(({ part, problem, peers }) => ({ part, problem, peers }));
  const counts = new Map<string, { part: number; problem: number; peers: number }>();
  for (const peer of overlay.problems) {
    for (const { part, problem } of peer.parts) {
      const key = `${part}:${problem}`;
      const count = counts.get(key) ?? { part, problem, peers: 0 };
      count.peers += 1;
      counts.set(key, count);
    }
  }
  return [...counts.values()];
}
