// One probe round: every peer (UDP ladder + TCP echo, at bounded concurrency) and DNS.
// Runs inside the prober worker; also callable in-process (tests, fallback).
import { randomInt } from 'node:crypto';
import { probeDnsTcp, probeDnsUdp } from './dns-prober.ts';
import type { RawResult, RoundRequest } from './probe-types.ts';
import { createTcpProber } from './tcp-prober.ts';
import { createUdpProber } from './udp-prober.ts';

export async function runProbeRound(request: RoundRequest, signal: AbortSignal): Promise<RawResult[]> {
  const options = { timeoutMs: request.timeoutMs, spacingMs: request.spacingMs, signal };
  const firstSequence = randomInt(0, 2 ** 32 - 1);
  const udp = createUdpProber({ ...options, identity: request.identity, firstSequence });
  // TCP sequences from the other half of the number space: a UDP and a TCP probe never share one.
  const tcp = createTcpProber({ ...options, identity: request.identity, firstSequence: (firstSequence + 2 ** 31) >>> 0 });
  const results: RawResult[] = [];
  const dns = request.dns ? Promise.all([probeDnsUdp(request.dns, options), probeDnsTcp(request.dns, options)]) : Promise.resolve([]);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < request.peers.length && !signal.aborted) {
      const peer = request.peers[next++]!;
      const [udpResults, tcpResult] = await Promise.all([udp.probe(peer), tcp.probe(peer)]);
      for (const r of udpResults) results.push(r);
      results.push(tcpResult);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency, request.peers.length)) }, lane));
  } finally {
    udp.close();
  }
  results.push(...(await dns));
  return results;
}
