// Bounds on a ProbeBatch before it touches the probe store: a 5,000-node cluster sends at
// most a few results per peer and round, so anything far larger is refused.
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeProtocol, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';

export const maxProbeResults = 50_000;
export const maxProbeReceipts = 10_000;
/** Report by exception: summaries plus covered targets, within the same budget as results. */
export const maxPathEntries = 50_000;
/** Probes one summary or coverage step may stand for: the store expands each into attempts, so a claimed million must not cost a million. */
export const maxProbesPerPath = 64;
const maxName = 253;
const maxIntervalSeconds = 3_600;
const maxSizeBytes = 65_535;
const maxHeldMs = 86_400_000;
// A sweep of 5,000 peers one at a time; more would keep a sampled path "fresh" forever.
const maxSampleRounds = 5_000;
// RTTs beyond a minute are not measurements (probes time out after seconds).
const maxRttSeconds = 60;
// The agents' closed set of failure reasons (agent/src/probe/probe-types.ts), '' on success.
const errors = new Set(['', 'timeout', 'refused', 'unreachable', 'reset', 'servfail', 'nxdomain', 'error']);
const protocols = new Set<number>([ProbeProtocol.UDP, ProbeProtocol.TCP, ProbeProtocol.DNS_UDP, ProbeProtocol.DNS_TCP]);
const networks = new Set<number>([Network.HOST, Network.POD]);
const finiteNonNegative = (value: number): boolean => Number.isFinite(value) && value >= 0;
const isDns = (protocol: ProbeProtocol): boolean => protocol === ProbeProtocol.DNS_UDP || protocol === ProbeProtocol.DNS_TCP;

export function validateProbeBatch(batch: ProbeBatch): string | undefined {
  if (batch.results.length > maxProbeResults) return `probe_batch.results has more than ${maxProbeResults} entries`;
  if (batch.receipts.length > maxProbeReceipts) return `probe_batch.receipts has more than ${maxProbeReceipts} entries`;
  if (!finiteNonNegative(batch.eventLoopDelayP99Seconds))
    return 'probe_batch.event_loop_delay_p99_seconds is not a finite non-negative number';
  if (batch.intervalSeconds > maxIntervalSeconds) return `probe_batch.interval_seconds exceeds ${maxIntervalSeconds}`;
  if (batch.heldMs > maxHeldMs) return 'probe_batch.held_ms exceeds a day';
  if (batch.sampleRounds > maxSampleRounds) return `probe_batch.sample_rounds exceeds ${maxSampleRounds}`;
  for (const result of batch.results) {
    if (!protocols.has(result.protocol)) return `probe_batch.results[].protocol ${result.protocol} is not a known protocol`;
    if (isDns(result.protocol)) {
      if (result.target.length === 0 || result.target.length > maxName)
        return 'probe_batch.results[].target of a DNS probe is empty or too long';
    } else {
      if (result.targetNode.length === 0 || result.targetNode.length > maxName)
        return 'probe_batch.results[].target_node is empty or too long';
      if (!networks.has(result.targetNetwork)) return 'probe_batch.results[].target_network must be NETWORK_HOST or NETWORK_POD';
      if (result.target.length > maxName) return 'probe_batch.results[].target is too long';
    }
    if (!finiteNonNegative(result.rttSeconds) || result.rttSeconds > maxRttSeconds)
      return `probe_batch.results[].rtt_seconds is not a number in 0..${maxRttSeconds}`;
    if (result.sizeBytes > maxSizeBytes) return 'probe_batch.results[].size_bytes is out of range';
    if (result.ok && result.error !== '') return 'probe_batch.results[] is ok but carries an error';
    if (!finiteNonNegative(result.sendDelaySeconds) || result.sendDelaySeconds > maxRttSeconds)
      return 'probe_batch.results[].send_delay_seconds is not a finite non-negative number';
    if (!errors.has(result.error)) return `probe_batch.results[].error '${result.error.slice(0, 32)}' is not a known reason`;
    if (result.sentAtUnixMs < 0n) return 'probe_batch.results[].sent_at_unix_ms is negative';
  }
  let entries = batch.pathSummaries.length;
  for (const group of batch.coverage) entries += group.targetNodes.length;
  if (entries > maxPathEntries) return `probe_batch path summaries and covered targets exceed ${maxPathEntries}`;
  // What the store will expand them into: no more attempts than the results budget allows.
  let probes = batch.results.length;
  for (const summary of batch.pathSummaries) probes += Math.min(summary.sent, maxProbesPerPath + 1);
  for (const group of batch.coverage)
    probes +=
      group.targetNodes.length *
      (Math.min(group.udpSmall, maxProbesPerPath + 1) +
        Math.min(group.udpLarge, maxProbesPerPath + 1) +
        Math.min(group.tcp, maxProbesPerPath + 1));
  if (probes > maxProbeResults)
    return `probe_batch stands for more than ${maxProbeResults} probes (results, summaries and coverage together)`;
  for (const summary of batch.pathSummaries) {
    if (summary.targetNode.length === 0 || summary.targetNode.length > maxName)
      return 'probe_batch.path_summaries[].target_node is empty or too long';
    if (!networks.has(summary.targetNetwork)) return 'probe_batch.path_summaries[].target_network must be NETWORK_HOST or NETWORK_POD';
    if (summary.protocol !== ProbeProtocol.UDP && summary.protocol !== ProbeProtocol.TCP)
      return 'probe_batch.path_summaries[].protocol must be UDP or TCP';
    if (summary.sent === 0 || summary.sent > maxProbesPerPath) return `probe_batch.path_summaries[].sent is not in 1..${maxProbesPerPath}`;
    if (summary.lost > summary.sent) return 'probe_batch.path_summaries[].lost exceeds sent';
    for (const rtt of [summary.rttP50Seconds, summary.rttMaxSeconds])
      if (!finiteNonNegative(rtt) || rtt > maxRttSeconds) return `probe_batch.path_summaries[] RTT is not a number in 0..${maxRttSeconds}`;
    if (summary.sizeBytes > maxSizeBytes) return 'probe_batch.path_summaries[].size_bytes is out of range';
  }
  for (const group of batch.coverage) {
    if (!networks.has(group.targetNetwork)) return 'probe_batch.coverage[].target_network must be NETWORK_HOST or NETWORK_POD';
    if (group.udpSmall + group.udpLarge + group.tcp === 0 || Math.max(group.udpSmall, group.udpLarge, group.tcp) > maxProbesPerPath)
      return `probe_batch.coverage[] probe counts are not in 0..${maxProbesPerPath} (and not all 0)`;
    if (Math.max(group.udpSmallBytes, group.udpLargeBytes, group.tcpBytes) > maxSizeBytes)
      return 'probe_batch.coverage[] probe sizes are out of range';
    if (!finiteNonNegative(group.rttP50Seconds) || group.rttP50Seconds > maxRttSeconds)
      return `probe_batch.coverage[].rtt_p50_seconds is not a number in 0..${maxRttSeconds}`;
    for (const target of group.targetNodes)
      if (target.length === 0 || target.length > maxName) return 'probe_batch.coverage[].target_nodes[] is empty or too long';
  }
  for (const receipt of batch.receipts) {
    if (receipt.sourceNode.length === 0 || receipt.sourceNode.length > maxName)
      return 'probe_batch.receipts[].source_node is empty or too long';
    if (!networks.has(receipt.sourceNetwork)) return 'probe_batch.receipts[].source_network must be NETWORK_HOST or NETWORK_POD';
    if (receipt.protocol !== ProbeProtocol.UDP && receipt.protocol !== ProbeProtocol.TCP)
      return 'probe_batch.receipts[].protocol must be UDP or TCP';
    if (receipt.largeRequests > receipt.requests) return 'probe_batch.receipts[].large_requests exceeds requests';
  }
  return undefined;
}
