import { describe, expect, it } from 'vitest';
import { createPathSummarizer } from './path-summary.ts';
import { probeProtocol, type RawResult } from './probe-types.ts';

const result = (targetNode: string, protocol: number, large: boolean, ok: boolean, rttSeconds = 0.0004, targetNetwork = 1): RawResult => ({
  targetNode,
  protocol,
  ok,
  rttSeconds: ok ? rttSeconds : 0,
  sizeBytes: large ? 1450 : protocol === probeProtocol.tcp ? 64 : 72,
  error: ok ? '' : 'timeout',
  sentAtUnixMs: 1_700_000_000_000,
  targetNetwork,
  target: '',
  large,
  sendDelaySeconds: 0,
});
/** A sampled visit as the prober makes it: UDP ×3 small, ×2 large, TCP ×1. */
const visit = (node: string, opts: { lostSmall?: number; rtt?: number; network?: number } = {}): RawResult[] => [
  ...[0, 1, 2].map((i) => result(node, probeProtocol.udp, false, i >= (opts.lostSmall ?? 0), opts.rtt, opts.network)),
  ...[0, 1].map(() => result(node, probeProtocol.udp, true, true, opts.rtt, opts.network)),
  result(node, probeProtocol.tcp, false, true, opts.rtt, opts.network),
];

describe('path summarizer', () => {
  it('names fine targets once in a coverage group and keeps DNS results as results', () => {
    const s = createPathSummarizer();
    const dns = { ...result('', probeProtocol.dnsUdp, false, true), target: '198.19.0.10:53' };
    const report = s.summarize([...visit('a'), ...visit('b'), ...visit('c', { network: 2 }), dns]);
    expect(report.summaries).toEqual([]);
    expect(report.dns).toEqual([dns]);
    expect(report.coverage).toHaveLength(2);
    const host = report.coverage.find((c) => c.targetNetwork === 1)!;
    expect(host).toMatchObject({
      targetNodes: ['a', 'b'],
      udpSmall: 3,
      udpSmallBytes: 72,
      udpLarge: 2,
      udpLargeBytes: 1450,
      tcp: 1,
      tcpBytes: 64,
    });
    expect(host.rttP50Seconds).toBeCloseTo(0.0004);
  });

  it('summarizes every path of a target that lost a probe, and once more after it recovers', () => {
    const s = createPathSummarizer();
    s.summarize(visit('a'));
    const lossy = s.summarize([...visit('a', { lostSmall: 2 }), ...visit('b')]);
    expect(lossy.coverage.flatMap((c) => c.targetNodes)).toEqual(['b']);
    expect(lossy.summaries).toHaveLength(3);
    expect(lossy.summaries.find((x) => x.protocol === probeProtocol.udp && !x.large)).toMatchObject({
      targetNode: 'a',
      sent: 3,
      lost: 2,
      sizeBytes: 72,
    });
    expect(lossy.summaries.find((x) => x.protocol === probeProtocol.udp && x.large)).toMatchObject({ sent: 2, lost: 0, sizeBytes: 1450 });
    // The recovery is news: the round after a loss is summarized, then the target is covered again.
    const recovered = s.summarize(visit('a'));
    expect(recovered.summaries.map((x) => x.lost)).toEqual([0, 0, 0]);
    expect(recovered.coverage).toEqual([]);
    expect(s.summarize(visit('a')).coverage.flatMap((c) => c.targetNodes)).toEqual(['a']);
  });

  it('summarizes a target whose RTT leaves its band, and the band follows a lasting change', () => {
    const s = createPathSummarizer();
    for (let i = 0; i < 3; i++) s.summarize(visit('a', { rtt: 0.001 }));
    expect(s.summarize(visit('a', { rtt: 0.0015 })).summaries).toEqual([]); // inside 2× / +5 ms
    const slow = s.summarize(visit('a', { rtt: 0.02 }));
    expect(slow.summaries.find((x) => x.protocol === probeProtocol.udp && !x.large)).toMatchObject({ sent: 3, lost: 0 });
    expect(slow.summaries[0]!.rttP50Seconds).toBeCloseTo(0.02);
    let rounds = 0;
    while (s.summarize(visit('a', { rtt: 0.02 })).summaries.length > 0 && rounds < 50) rounds += 1;
    expect(rounds).toBeGreaterThan(0);
    expect(rounds).toBeLessThan(50);
  });

  it('reports bytes far below one result per probe for a healthy sampled round', () => {
    const s = createPathSummarizer();
    const round = Array.from({ length: 32 }, (_, i) => visit(`sim-${String(i).padStart(5, '0')}`)).flat();
    const report = s.summarize(round);
    expect(report.summaries).toEqual([]);
    expect(report.coverage).toHaveLength(1);
    expect(report.coverage[0]!.targetNodes).toHaveLength(32);
    expect(s.tracked).toBe(32);
  });
});
