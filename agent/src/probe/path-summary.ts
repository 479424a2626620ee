// Report by exception: a round's peer probe results become, per path (target × network ×
// protocol × size class), one summary when the target needs explaining — a probe was lost,
// it lost probes last round (the recovery is news too), or its RTT left its band — and
// otherwise the target's name in a coverage group ("probed this way, all answered, RTT in
// band"). DNS results stay results. The collector expands both back into attempts, so a lost
// request is still told from a lost reply (the responder's receipts are unchanged) and a
// failure is reported in the round it happened.
import type { PathCoverage, PathSummary } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { probeProtocol, type RawResult } from './probe-types.ts';

type SummaryInit = Omit<PathSummary, '$typeName' | '$unknown'>;
type CoverageInit = Omit<PathCoverage, '$typeName' | '$unknown'>;

export interface RoundReport {
  /** DNS probes, reported one by one as before. */
  readonly dns: RawResult[];
  readonly summaries: SummaryInit[];
  readonly coverage: CoverageInit[];
}

export interface PathSummarizer {
  summarize(results: readonly RawResult[]): RoundReport;
  /** Targets whose band and last verdict are kept (bounded by the peers probed recently). */
  readonly tracked: number;
}

/** RTT band: out when the round's median is above both factor × the usual and usual + floor. */
export const rttBandFactor = 2;
export const rttBandFloorSeconds = 0.005;
const baselineWeight = 0.2;
/** A target not probed for this many rounds is forgotten (a sampled sweep revisits it sooner at k ≥ 4 up to 1,000 peers). */
const forgetAfterRounds = 256;

interface Slot {
  protocol: number;
  large: boolean;
  sent: number;
  lost: number;
  sizeBytes: number;
  rtts: number[];
}
interface TargetRound {
  node: string;
  network: number;
  slots: Slot[];
}
interface TargetMemory {
  baselineSeconds: number | undefined;
  lostLastRound: boolean;
  lastRound: number;
}

const median = (sorted: readonly number[]): number => sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;

export function createPathSummarizer(): PathSummarizer {
  const memory = new Map<string, TargetMemory>();
  let round = 0;

  return {
    get tracked() {
      return memory.size;
    },
    summarize(results) {
      round += 1;
      const dns: RawResult[] = [];
      const targets = new Map<string, TargetRound>();
      for (const r of results) {
        if (r.protocol === probeProtocol.dnsUdp || r.protocol === probeProtocol.dnsTcp) {
          dns.push(r);
          continue;
        }
        const key = `${r.targetNode}\u0000${r.targetNetwork}`;
        let target = targets.get(key);
        if (!target) targets.set(key, (target = { node: r.targetNode, network: r.targetNetwork, slots: [] }));
        let slot = target.slots.find((s) => s.protocol === r.protocol && s.large === r.large);
        if (!slot) target.slots.push((slot = { protocol: r.protocol, large: r.large, sent: 0, lost: 0, sizeBytes: 0, rtts: [] }));
        slot.sent += 1;
        slot.sizeBytes = Math.max(slot.sizeBytes, r.sizeBytes);
        if (r.ok) slot.rtts.push(r.rttSeconds);
        else slot.lost += 1;
      }

      const summaries: SummaryInit[] = [];
      const groups = new Map<string, { coverage: CoverageInit; medians: number[] }>();
      for (const [key, target] of targets) {
        const seen = memory.get(key);
        const lost = target.slots.some((s) => s.lost > 0);
        const small = target.slots.find((s) => s.protocol === probeProtocol.udp && !s.large);
        small?.rtts.sort((a, b) => a - b);
        const p50 = small?.rtts.length ? median(small.rtts) : undefined;
        const baseline = seen?.baselineSeconds;
        const outOfBand =
          p50 !== undefined && baseline !== undefined && p50 > Math.max(rttBandFactor * baseline, baseline + rttBandFloorSeconds);
        // Slots beyond the ladder's three (UDP small, UDP large, TCP) cannot be said by coverage.
        const shapeless = target.slots.some((s) => s.protocol !== probeProtocol.udp && (s.protocol !== probeProtocol.tcp || s.large));
        if (lost || outOfBand || seen?.lostLastRound || shapeless) {
          for (const s of target.slots) {
            s.rtts.sort((a, b) => a - b);
            summaries.push({
              targetNode: target.node,
              targetNetwork: target.network,
              protocol: s.protocol,
              large: s.large,
              sent: s.sent,
              lost: s.lost,
              rttP50Seconds: median(s.rtts),
              rttMaxSeconds: s.rtts.at(-1) ?? 0,
              sizeBytes: s.sizeBytes,
            });
          }
        } else {
          const large = target.slots.find((s) => s.protocol === probeProtocol.udp && s.large);
          const tcp = target.slots.find((s) => s.protocol === probeProtocol.tcp);
          const shape = {
            udpSmall: small?.sent ?? 0,
            udpSmallBytes: small?.sizeBytes ?? 0,
            udpLarge: large?.sent ?? 0,
            udpLargeBytes: large?.sizeBytes ?? 0,
            tcp: tcp?.sent ?? 0,
            tcpBytes: tcp?.sizeBytes ?? 0,
          };
          const groupKey = `${target.network}/${Object.values(shape).join('/')}`;
          let group = groups.get(groupKey);
          if (!group)
            groups.set(
              groupKey,
              (group = { coverage: { targetNetwork: target.network, targetNodes: [], ...shape, rttP50Seconds: 0 }, medians: [] }),
            );
          group.coverage.targetNodes.push(target.node);
          if (p50 !== undefined) group.medians.push(p50);
        }
        // The band follows the path (a new route may be slower for good); a lossy round does not move it.
        const nextBaseline =
          lost || p50 === undefined ? baseline : baseline === undefined ? p50 : baseline + baselineWeight * (p50 - baseline);
        memory.set(key, { baselineSeconds: nextBaseline, lostLastRound: lost, lastRound: round });
      }
      const coverage = [...groups.values()].map(({ coverage: c, medians }) => ({
        ...c,
        rttP50Seconds: median(medians.sort((a, b) => a - b)),
      }));
      if (round % 64 === 0) for (const [key, m] of memory) if (m.lastRound < round - forgetAfterRounds) memory.delete(key);
      return { dns, summaries, coverage };
    },
  };
}
