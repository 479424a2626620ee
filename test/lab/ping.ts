// Parsing iputils `ping -n` output into per-reply RTTs: pure, so it is unit-tested.

export interface PingRtt {
  /** Echo requests sent (from ping's summary line). */
  sent: number;
  /** Echo replies received (duplicates not counted). */
  received: number;
  /** One entry per reply, in arrival order, in seconds (from each reply's `time=`). */
  rttSeconds: number[];
  /** Median RTT in seconds (nearest rank: the ⌈n/2⌉-th smallest); NaN when nothing came back. */
  p50Seconds: number;
}

const REPLY = /^\d+ bytes from [^:]+: icmp_seq=\d+ .*time=([0-9.]+) ms(?! .*DUP!)/;
const SUMMARY = /^(\d+) packets transmitted, (\d+) received/m;

export function p50(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length / 2) - 1] as number;
}

export function parsePingOutput(stdout: string): PingRtt {
  const rttSeconds: number[] = [];
  for (const line of stdout.split('\n')) {
    const m = REPLY.exec(line.trim());
    if (m && !line.includes('DUP!')) rttSeconds.push(Number(m[1]) / 1000);
  }
  const summary = SUMMARY.exec(stdout);
  const sent = summary ? Number(summary[1]) : rttSeconds.length;
  const received = summary ? Number(summary[2]) : rttSeconds.length;
  return { sent, received, rttSeconds, p50Seconds: p50(rttSeconds) };
}
