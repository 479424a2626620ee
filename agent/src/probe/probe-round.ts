// One probe round: every peer (UDP ladder + TCP echo, at bounded concurrency) and DNS.
// Runs inside the prober worker; also callable in-process (tests, fallback).
import { probeDnsTcp, probeDnsUdp } from './dns-prober.ts';
import type { RawResult, RoundRequest } from './probe-types.ts';
import { probeTcp } from './tcp-prober.ts';
import { probeUdp } from './udp-prober.ts';

export async function runProbeRound(request: RoundRequest, signal: AbortSignal): Promise<RawResult[]> {
  const options = { timeoutMs: request.timeoutMs, spacingMs: request.spacingMs, signal };
  const results: RawResult[] = [];
  const dns = request.dns
    ? Promise.all([probeDnsUdp(request.dns, options), probeDnsTcp(request.dns, options)])
    : Promise.resolve([]);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < request.peers.length && !signal.aborted) {
      const peer = request.peers[next++]!;
      const [udp, tcp] = await Promise.all([probeUdp(peer, request.identity, options), probeTcp(peer, request.identity, options)]);
      results.push(...udp, tcp);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency, request.peers.length)) }, lane));
  results.push(...(await dns));
  return results;
}
