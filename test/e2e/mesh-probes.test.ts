// Mesh probes end to end: host and pod agents in a 4-node lab probe each other over UDP,
// TCP, a size ladder and DNS (dnsmasq in node-1's pod); real faults are localized to the
// one broken node, with direction and root cause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsThroughout, metricValue, startStack, waitFor, type Finding, type Stack } from '../harness/stack.ts';

const probeIntervalSeconds = 2;
// Detection should take at most 2 probe intervals; the polls allow generous slack so a busy
// CI machine does not flake. The measured times are in BENCHMARKS.md (bench/probe-faults.ts).
const detectTimeoutMs = 8 * probeIntervalSeconds * 1000;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    nodes: 4,
    podAgents: true,
    dnsPod: 'node-1-pod-1',
    collectorArgs: ['--agent-missing-after', '5s'],
    agentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
    podAgentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
  });
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  await stack?.teardown();
});

const kinds = (findings: Finding[]) => findings.map((f) => f.kind).sort();
const namedNodes = (findings: Finding[]) => [...new Set(findings.flatMap((f) => f.nodes))].sort();

interface Matrix {
  matrices: {
    network: string;
    protocol: string;
    nodes: string[];
    cells: { source: string; destination: string; attempts: number; lossRatio: number; failing: boolean }[];
  }[];
}

describe('mesh probes in a 4-node lab with pod agents', () => {
  it('runs 60 s with zero findings while every pair is probed on both networks', async () => {
    await waitFor(
      'a full probe matrix on both networks',
      async () => {
        const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
        const full = (network: string, protocol: string) => {
          const m = matrices.find((x) => x.network === network && x.protocol === protocol);
          return m !== undefined && m.cells.filter((c) => c.attempts > 0).length >= 12;
        };
        return full('host', 'udp') && full('host', 'tcp') && full('pod', 'udp') && full('pod', 'tcp');
      },
      30_000,
    );
    await holdsThroughout('zero findings', 60_000, async () => expect(await stack.findings()).toEqual([]), 2_000);
    const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
    for (const matrix of matrices)
      for (const cell of matrix.cells)
        expect(cell.failing, `${matrix.network}/${matrix.protocol} ${cell.source}→${cell.destination}`).toBe(false);
    const metrics = await stack.metrics();
    expect(metricValue(metrics, 'netsentry_dns_probe_success_ratio', { node: 'node-3', protocol: 'udp' })).toBe(1);
    // The suite's healthy soak (bench/soak.ts runs 10 min): no agent restarted or was refused.
    for (const network of ['host', 'pod']) expect(metricValue(metrics, 'netsentry_agent_restarts_total', { network })).toBe(0);
    for (const reason of ['rate_limited', 'too_many_streams', 'message_too_large', 'invalid_report', 'invalid_probe_batch', 'replaced']) {
      expect(metricValue(metrics, 'netsentry_stream_errors_total', { reason }), reason).toBe(0);
    }
  }, 120_000);

  it('seed 002: node-2 loses its overlay routes → OverlayRouteMissing explains NodeIsolated and DnsFailure, all about node-2', async () => {
    await stack.lab.deleteOverlayRoutes('node-2');
    const findings = await waitFor(
      'the root cause and its symptoms',
      async () => {
        const open = await stack.findings();
        const has = (kind: string) => open.some((f) => f.kind === kind);
        return has('OverlayRouteMissing') && has('NodeIsolated') && has('DnsFailure') ? open : undefined;
      },
      detectTimeoutMs,
    );
    expect(namedNodes(findings)).toEqual(['node-2']);
    const root = findings[0]!;
    expect(root.kind).toBe('OverlayRouteMissing');
    const isolated = findings.find((f) => f.kind === 'NodeIsolated')!;
    const dns = findings.find((f) => f.kind === 'DnsFailure')!;
    expect(root.explains).toEqual(expect.arrayContaining([isolated.id, dns.id]));

    await stack.lab.restoreOverlay('node-2');
    await waitFor('all node-2 findings to resolve', async () => (await stack.findings()).length === 0, detectTimeoutMs * 2);
  }, 90_000);

  it('nft drops UDP on node-3 (TCP untouched) → ProtocolBlocked for UDP on node-3, nothing else', async () => {
    await stack.lab.dropUdp('node-3');
    const finding = await waitFor(
      'ProtocolBlocked on node-3',
      async () => (await stack.findings()).find((f) => f.kind === 'ProtocolBlocked'),
      detectTimeoutMs,
    );
    expect(finding.nodes).toEqual(['node-3']);
    expect(`${finding.summary} ${finding.evidence.join(' ')}`).toMatch(/UDP/);
    // Let the other detectors (wrongly) fire before checking precision: two more rounds from
    // every agent (4 host + 4 pod) reach the collector, and then one more detector pass.
    const counter = async (name: string, labels: Record<string, string> = {}) => metricValue(await stack.metrics(), name, labels) ?? 0;
    const batches = () => counter('netsentry_messages_received_total', { type: 'probeBatch' });
    const passes = () => counter('netsentry_detector_run_duration_seconds_count');
    const before = await batches();
    await waitFor('two more probe rounds from every agent', async () => (await batches()) >= before + 2 * 8, detectTimeoutMs);
    const passesThen = await passes();
    await waitFor('a detector pass after them', async () => (await passes()) > passesThen);
    const open = await stack.findings();
    expect(kinds(open)).toEqual(['ProtocolBlocked']);
    expect(namedNodes(open)).toEqual(['node-3']);

    await stack.lab.clearFaults('node-3');
    await waitFor('ProtocolBlocked to resolve', async () => (await stack.findings()).length === 0, detectTimeoutMs * 2);
  }, 90_000);

  it('node-4 underlay MTU lowered so full-size overlay packets vanish → MtuBlackhole on node-4', async () => {
    const node4 = stack.lab.node('node-4');
    await stack.lab.setMtu(node4.ns, 'eth0', 1450);
    const finding = await waitFor(
      'MtuBlackhole on node-4',
      async () => (await stack.findings()).find((f) => f.kind === 'MtuBlackhole'),
      detectTimeoutMs,
    );
    expect(finding.nodes).toEqual(['node-4']);
    const open = await stack.findings();
    expect(namedNodes(open)).toEqual(['node-4']);
    expect(kinds(open).filter((k) => k !== 'MtuMismatch' && k !== 'MtuBlackhole')).toEqual([]);

    await stack.lab.setMtu(node4.ns, 'eth0', 1500);
    await waitFor('the MTU findings to resolve', async () => (await stack.findings()).length === 0, detectTimeoutMs * 2);
  }, 90_000);
});
