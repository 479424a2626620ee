// A report is bounded by design, whatever the fault: every route, neighbor and FDB entry
// missing toward 4,999 peers was a 1.35 MB report, over the 1 MiB send limit, so the worst
// fault of all never reached the collector. The report carries the first peers by name
// (enough to act on) plus, per part and problem, how many peers in all.
import { create } from '@bufbuild/protobuf';
import { PartCountSchema, PeerProblemSchema, type PartCount, type PeerProblem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { PeerProblemResult } from '../overlay/backend.ts';

/** Peers listed by name in one report; ~300 bytes each at most, so ~30 KB. */
export const maxReportedProblemPeers = 100;

export function boundProblems(
  problems: readonly PeerProblemResult[],
  limit = maxReportedProblemPeers,
): { problems: PeerProblem[]; partCounts: PartCount[] } {
  const counts = new Map<string, PartCount>();
  for (const problem of problems) {
    for (const part of problem.parts) {
      const key = `${part.part}:${part.problem}`;
      let count = counts.get(key);
      if (!count) counts.set(key, (count = create(PartCountSchema, { part: part.part, problem: part.problem, peers: 0 })));
      count.peers += 1;
    }
  }
  const first =
    problems.length <= limit
      ? [...problems]
      : [...problems].sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0)).slice(0, limit);
  return {
    problems: first.map((p) => create(PeerProblemSchema, { peer: p.peer, parts: p.parts })),
    partCounts: [...counts.values()].sort((a, b) => a.part - b.part || a.problem - b.problem),
  };
}
