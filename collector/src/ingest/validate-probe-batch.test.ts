import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeBatchSchema, ProbeProtocol, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { validateProbeBatch } from './validate-probe-batch.ts';

const good = () =>
  create(ProbeBatchSchema, {
    intervalSeconds: 5,
    eventLoopDelayP99Seconds: 0.002,
    results: [
      {
        targetNode: 'node-2',
        protocol: ProbeProtocol.UDP,
        ok: true,
        rttSeconds: 0.0004,
        sizeBytes: 72,
        sentAtUnixMs: 1n,
        targetNetwork: Network.POD,
      },
      { protocol: ProbeProtocol.DNS_UDP, ok: false, error: 'timeout', target: '10.96.0.10:53', sentAtUnixMs: 1n },
    ],
    receipts: [{ sourceNode: 'node-2', sourceNetwork: Network.HOST, protocol: ProbeProtocol.UDP, requests: 5, largeRequests: 2 }],
    pathSummaries: [
      {
        targetNode: 'node-3',
        targetNetwork: Network.HOST,
        protocol: ProbeProtocol.UDP,
        sent: 3,
        lost: 1,
        rttP50Seconds: 0.0004,
        rttMaxSeconds: 0.0005,
        sizeBytes: 72,
      },
    ],
    coverage: [
      {
        targetNetwork: Network.POD,
        targetNodes: ['node-2', 'node-4'],
        udpSmall: 3,
        udpSmallBytes: 72,
        udpLarge: 2,
        udpLargeBytes: 1450,
        tcp: 1,
        tcpBytes: 64,
        rttP50Seconds: 0.0004,
      },
    ],
  });

describe('validateProbeBatch', () => {
  it('accepts a well-formed batch', () => {
    expect(validateProbeBatch(good())).toBeUndefined();
  });
  it.each([
    ['a summary standing for a million probes', (b: ProbeBatch) => (b.pathSummaries[0]!.sent = 1_000_000), /sent is not in/],
    ['a summary losing more than it sent', (b: ProbeBatch) => (b.pathSummaries[0]!.lost = 4), /lost exceeds sent/],
    ['a DNS summary', (b: ProbeBatch) => (b.pathSummaries[0]!.protocol = ProbeProtocol.DNS_UDP), /must be UDP or TCP/],
    ['a NaN summary RTT', (b: ProbeBatch) => (b.pathSummaries[0]!.rttMaxSeconds = Number.NaN), /RTT/],
    ['a summary without a network', (b: ProbeBatch) => (b.pathSummaries[0]!.targetNetwork = Network.UNSPECIFIED), /target_network/],
    ['coverage of nothing', (b: ProbeBatch) => Object.assign(b.coverage[0]!, { udpSmall: 0, udpLarge: 0, tcp: 0 }), /probe counts/],
    ['coverage claiming 1,000 probes per target', (b: ProbeBatch) => (b.coverage[0]!.udpSmall = 1000), /probe counts/],
    ['coverage with an empty name', (b: ProbeBatch) => (b.coverage[0]!.targetNodes[1] = ''), /target_nodes/],
    [
      'coverage standing for more probes than the results budget',
      (b: ProbeBatch) => ((b.coverage[0]!.targetNodes = Array.from({ length: 3_000 }, () => 'n')), (b.coverage[0]!.udpSmall = 20)),
      /stands for more than 50000 probes/,
    ],
    [
      'too many covered targets',
      (b: ProbeBatch) => (b.coverage[0]!.targetNodes = Array.from({ length: 50_000 }, () => 'n')),
      /exceed 50000/,
    ],
    ['too many results', (b: ProbeBatch) => (b.results = Array.from({ length: 50_001 }, () => b.results[0]!)), /more than 50000/],
    ['too many receipts', (b: ProbeBatch) => (b.receipts = Array.from({ length: 10_001 }, () => b.receipts[0]!)), /more than 10000/],
    ['unknown protocol', (b: ProbeBatch) => (b.results[0]!.protocol = 9 as ProbeProtocol), /not a known protocol/],
    ['NaN RTT', (b: ProbeBatch) => (b.results[0]!.rttSeconds = Number.NaN), /rtt_seconds/],
    ['negative RTT', (b: ProbeBatch) => (b.results[0]!.rttSeconds = -1), /rtt_seconds/],
    ['RTT of an hour', (b: ProbeBatch) => (b.results[0]!.rttSeconds = 3600), /rtt_seconds/],
    ['size beyond 64 KiB', (b: ProbeBatch) => (b.results[0]!.sizeBytes = 70_000), /size_bytes/],
    ['unknown error reason', (b: ProbeBatch) => (b.results[1]!.error = 'EVIL'), /not a known reason/],
    ['ok with an error', (b: ProbeBatch) => (b.results[0]!.error = 'timeout'), /ok but carries an error/],
    ['held for two days', (b: ProbeBatch) => (b.heldMs = 172_800_000), /held_ms/],
    ['a sweep longer than any cluster', (b: ProbeBatch) => (b.sampleRounds = 1_000_000), /sample_rounds/],
    ['interval of a day', (b: ProbeBatch) => (b.intervalSeconds = 86_400), /interval_seconds/],
    ['negative send time', (b: ProbeBatch) => (b.results[0]!.sentAtUnixMs = -1n), /sent_at/],
    ['receipt without a source', (b: ProbeBatch) => (b.receipts[0]!.sourceNode = ''), /source_node/],
    ['long node name', (b: ProbeBatch) => (b.results[0]!.targetNode = 'n'.repeat(254)), /target_node/],
    ['peer probe without a network', (b: ProbeBatch) => (b.results[0]!.targetNetwork = Network.UNSPECIFIED), /target_network/],
    ['DNS probe without a resolver', (b: ProbeBatch) => (b.results[1]!.target = ''), /DNS probe/],
    ['infinite event-loop delay', (b: ProbeBatch) => (b.eventLoopDelayP99Seconds = Infinity), /event_loop_delay/],
    ['receipt for DNS', (b: ProbeBatch) => (b.receipts[0]!.protocol = ProbeProtocol.DNS_UDP), /UDP or TCP/],
    ['more large than total requests', (b: ProbeBatch) => (b.receipts[0]!.largeRequests = 6), /large_requests/],
  ])('refuses %s', (_name, mutate, message) => {
    const batch = good();
    mutate(batch);
    expect(validateProbeBatch(batch)).toMatch(message);
  });
});
