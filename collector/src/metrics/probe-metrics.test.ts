// /metrics values from a probe view: exact numbers for a small hand-built view, the same
// numbers as the old walk over every path for a real view of a lossy fake mesh, and text
// that promtool accepts.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultDetectors } from '../detectors/index.ts';
import type { Finding } from '../findings/finding.ts';
import { createFindingsEngine } from '../findings/findings-engine.ts';
import type { AgentState, ClusterSnapshot, NodeState } from '../model/cluster-snapshot.ts';
import { createTestCluster, hostHello, nodeReport, podHello, startMs } from '../../../test/fixtures/cluster-fixtures.ts';
import { addPodAgents, runRounds } from '../../../test/fixtures/probe-fixtures.ts';
import { emptyProbeView, type PathState, type ProbeView } from '../probes/probe-view.ts';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createCollectorMetrics } from './collector-metrics.ts';

/** Every netsentry_ sample of the given families: "name{labels}" → value. */
function samples(text: string, families: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const name = /^[a-z_]+/.exec(line)?.[0];
    if (!name || !families.includes(name)) continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    expect(out.has(key), `${key} appears twice`).toBe(false);
    out.set(key, Number(line.slice(space + 1)));
  }
  return out;
}

const agentState = (network: 'host' | 'pod', node: string, extra: Partial<AgentState> = {}): AgentState => ({
  network,
  connected: true,
  connectionId: `${network}-${node}`,
  peerAddress: '192.0.2.1:40000',
  connectedSinceMs: startMs,
  lastSeenMs: startMs,
  lastReportMs: startMs + 1500,
  hello: network === 'host' ? hostHello(node) : podHello(node),
  restarts: 0,
  ...(network === 'host' ? { report: nodeReport({ peersChecked: 1 }) } : {}),
  ...extra,
});

const path = (
  source: string,
  destination: string,
  network: 'host' | 'pod',
  protocol: 'udp' | 'tcp',
  size: 'small' | 'large',
  failing: boolean,
): PathState => ({
  source,
  destination,
  network,
  protocol,
  size,
  attempts: 3,
  failures: failing ? 3 : 0,
  lossRatio: failing ? 1 : 0,
  failing,
  healthy: !failing,
  newestMs: startMs,
  sampled: false,
  okSizeBytes: 0,
  failedSizeBytes: 0,
});

/** Two nodes; node-2 has only a pod agent. The view's `paths` throws: the render must not walk them. */
function handBuiltSnapshot(): ClusterSnapshot {
  const nodes: NodeState[] = [
    { name: 'node-1', hostAgent: agentState('host', 'node-1'), podAgent: agentState('pod', 'node-1') },
    { name: 'node-2', podAgent: agentState('pod', 'node-2', { lastReportMs: startMs + 2000 }) },
  ];
  const probes: ProbeView = {
    intervalSeconds: 5,
    windowSeconds: 10,
    feed: emptyProbeView.feed,
    get paths(): readonly PathState[] {
      throw new Error('the render walked every path');
    },
    failingPaths: [
      path('node-1', 'node-2', 'pod', 'udp', 'small', true),
      path('node-1', 'node-2', 'pod', 'udp', 'large', true),
      path('node-2', 'node-1', 'pod', 'tcp', 'small', true),
    ],
    nodeTotals: [
      {
        node: 'node-1',
        network: 'host',
        protocol: 'udp',
        outbound: { attempts: 30, failures: 3 },
        inbound: { attempts: 0, failures: 0 },
        rttP50Seconds: 0.0004,
      },
      {
        node: 'node-1',
        network: 'host',
        protocol: 'tcp',
        outbound: { attempts: 10, failures: 0 },
        inbound: { attempts: 10, failures: 10 },
      },
      { node: 'node-2', network: 'pod', protocol: 'udp', outbound: { attempts: 0, failures: 0 }, inbound: { attempts: 20, failures: 5 } },
      {
        node: 'node-1',
        network: 'pod',
        protocol: 'udp',
        outbound: { attempts: 8, failures: 8 },
        inbound: { attempts: 6, failures: 0 },
        rttP50Seconds: 0.00125,
      },
    ],
    dns: [
      {
        source: 'node-1',
        protocol: 'udp',
        resolver: '198.18.0.10:53',
        attempts: 4,
        failures: 1,
        lossRatio: 0.25,
        failing: false,
        healthy: false,
        newestMs: startMs,
        sampled: false,
        okSizeBytes: 0,
        failedSizeBytes: 0,
      },
      {
        source: 'node-2',
        protocol: 'tcp',
        resolver: '198.18.0.10:53',
        attempts: 2,
        failures: 0,
        lossRatio: 0,
        failing: false,
        healthy: true,
        newestMs: startMs,
        sampled: false,
        okSizeBytes: 0,
        failedSizeBytes: 0,
      },
    ],
    agents: [
      { node: 'node-1', network: 'host', lastBatchMs: startMs, intervalSeconds: 5, sampleRounds: 1, eventLoopDelayP99Seconds: 0.0021 },
      { node: 'node-2', network: 'pod', lastBatchMs: startMs, intervalSeconds: 5, sampleRounds: 1, eventLoopDelayP99Seconds: 0.5 },
    ],
  };
  return { nowMs: startMs + 5000, nodes, probes };
}

const finding = (kind: string, nodes: string[], severity: Finding['severity'] = 'critical'): Finding => ({
  id: `${kind}/${nodes.join(',')}`,
  kind,
  severity,
  nodes,
  summary: '',
  evidence: [],
  remediation: [],
  since: '',
  explains: [],
  state: 'open',
});

describe('probe, node and finding metrics from a snapshot', () => {
  const perNodeFamilies = [
    'netsentry_probe_loss_ratio',
    'netsentry_probe_rtt_median_seconds',
    'netsentry_probe_pair_failing',
    'netsentry_dns_probe_success_ratio',
    'netsentry_agent_event_loop_delay_seconds',
    'netsentry_node_mtu_bytes',
    'netsentry_conntrack_fill_ratio',
    'netsentry_overlay_routes_missing',
    'netsentry_overlay_peers_checked',
    'netsentry_agent_last_report_timestamp_seconds',
    'netsentry_findings',
    'netsentry_nodes_known',
    'netsentry_agents_connected',
  ] as const;

  it('exports exactly the expected series and values for a hand-built view', async () => {
    const findings = [
      finding('PodNetworkPartitioned', ['node-1', 'node-2']),
      finding('PodNetworkPartitioned', ['node-1', 'node-3']),
      finding('DnsFailing', ['node-1'], 'warning'),
    ];
    const metrics = createCollectorMetrics({ model: { snapshot: handBuiltSnapshot }, findings: { list: () => findings } });
    const got = samples(await metrics.metrics(), perNodeFamilies);
    expect(Object.fromEntries(got)).toEqual({
      'netsentry_probe_loss_ratio{node="node-1",direction="outbound",network="host",protocol="udp"}': 0.1,
      'netsentry_probe_loss_ratio{node="node-1",direction="outbound",network="host",protocol="tcp"}': 0,
      'netsentry_probe_loss_ratio{node="node-1",direction="inbound",network="host",protocol="tcp"}': 1,
      'netsentry_probe_loss_ratio{node="node-2",direction="inbound",network="pod",protocol="udp"}': 0.25,
      'netsentry_probe_loss_ratio{node="node-1",direction="outbound",network="pod",protocol="udp"}': 1,
      'netsentry_probe_loss_ratio{node="node-1",direction="inbound",network="pod",protocol="udp"}': 0,
      'netsentry_probe_rtt_median_seconds{node="node-1",network="host"}': 0.0004,
      'netsentry_probe_rtt_median_seconds{node="node-1",network="pod"}': 0.00125,
      'netsentry_probe_pair_failing{source="node-1",destination="node-2",network="pod",protocol="udp"}': 1,
      'netsentry_probe_pair_failing{source="node-2",destination="node-1",network="pod",protocol="tcp"}': 1,
      'netsentry_dns_probe_success_ratio{node="node-1",protocol="udp"}': 0.75,
      'netsentry_dns_probe_success_ratio{node="node-2",protocol="tcp"}': 1,
      'netsentry_agent_event_loop_delay_seconds{node="node-1",network="host"}': 0.0021,
      'netsentry_agent_event_loop_delay_seconds{node="node-2",network="pod"}': 0.5,
      'netsentry_node_mtu_bytes{node="node-1",device_role="overlay"}': 1450,
      'netsentry_node_mtu_bytes{node="node-1",device_role="underlay"}': 1500,
      'netsentry_conntrack_fill_ratio{node="node-1"}': 120 / 262144,
      'netsentry_overlay_routes_missing{node="node-1"}': 0,
      'netsentry_overlay_peers_checked{node="node-1"}': 1,
      'netsentry_agent_last_report_timestamp_seconds{node="node-1",network="host"}': (startMs + 1500) / 1000,
      'netsentry_agent_last_report_timestamp_seconds{node="node-1",network="pod"}': (startMs + 1500) / 1000,
      'netsentry_agent_last_report_timestamp_seconds{node="node-2",network="pod"}': (startMs + 2000) / 1000,
      'netsentry_findings{kind="PodNetworkPartitioned",severity="critical",node="node-1"}': 2,
      'netsentry_findings{kind="PodNetworkPartitioned",severity="critical",node="node-2"}': 1,
      'netsentry_findings{kind="PodNetworkPartitioned",severity="critical",node="node-3"}': 1,
      'netsentry_findings{kind="DnsFailing",severity="warning",node="node-1"}': 1,
      netsentry_nodes_known: 2,
      'netsentry_agents_connected{network="host"}': 1,
      'netsentry_agents_connected{network="pod"}': 2,
    });
    expect(samples(await metrics.metrics(), ['netsentry_open_findings']).get('netsentry_open_findings{kind="PodNetworkPartitioned"}')).toBe(
      2,
    );
  });

  it('serves bytes equal to the text, the same text as prom-client would write, HELP/TYPE once per family', async () => {
    const metrics = createCollectorMetrics({ model: { snapshot: handBuiltSnapshot }, findings: { list: () => [] } });
    const text = await metrics.metrics();
    // The process's own metrics move between two renders; everything else must match.
    const stable = (t: string): string =>
      t
        .split('\n')
        .filter((l) => !/^(# (HELP|TYPE) )?(process|nodejs)_/.test(l))
        .join('\n');
    const { body, release } = await metrics.exposition();
    expect(stable(body.toString('utf8'))).toBe(stable(text));
    release();
    // The fast path writes what prom-client writes from the families' get() (its slow path).
    expect(stable(text)).toBe(stable(await metrics.registry.metrics()));
    expect(text.endsWith('\n')).toBe(true);
    for (const family of perNodeFamilies) {
      expect(text.match(new RegExp(`^# TYPE ${family} gauge$`, 'gm')), family).toHaveLength(1);
      expect(text.match(new RegExp(`^# HELP ${family} `, 'gm')), family).toHaveLength(1);
    }
  });

  it('is valid exposition text for promtool', async () => {
    const findings = [finding('PodNetworkPartitioned', ['node-1', 'node-2'])];
    const metrics = createCollectorMetrics({ model: { snapshot: handBuiltSnapshot }, findings: { list: () => findings } });
    const check = spawnSync('promtool', ['check', 'metrics'], { input: await metrics.metrics(), encoding: 'utf8', timeout: 30_000 });
    if (check.error) throw new Error(`promtool: ${check.error.message} (Debian package prometheus)`);
    // prom-client's own default metrics draw three lint remarks (gauges named *_total); anything else,
    // a parse error above all, fails.
    const problems = `${check.stdout}${check.stderr}`
      .split('\n')
      .filter(
        (l) =>
          l.trim() && !/^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/.test(l),
      );
    expect(problems).toEqual([]);
    expect([0, 3]).toContain(check.status);
  });

  it('gives the same loss, RTT and failing-pair values as walking every path (real probe view, lossy mesh)', async () => {
    const cluster = createTestCluster({ nodes: 5 });
    addPodAgents(cluster);
    const findings = createFindingsEngine({
      model: cluster.model,
      detectors: defaultDetectors(),
      now: cluster.clock.now,
      logger: createSilentLogger(),
    });
    const metrics = createCollectorMetrics({ model: cluster.model, findings });
    // A deterministic mix of fates per leg and round, so every total has its own ratio.
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    runRounds(cluster, 3, {
      path: (leg) => (leg.destination === 'node-3' && leg.network === 'pod' ? 'request-lost' : next() < 0.15 ? 'reply-lost' : 'ok'),
    });
    const paths = cluster.model.snapshot().probes.paths;

    // The values the scrape computed before (one pass over every path state).
    const expected = new Map<string, number>();
    const sums = new Map<string, { attempts: number; failures: number }>();
    const rtts = new Map<string, number[]>();
    for (const p of paths) {
      if (p.size !== 'small') continue;
      for (const [node, direction] of [
        [p.source, 'outbound'],
        [p.destination, 'inbound'],
      ] as const) {
        const key = `netsentry_probe_loss_ratio{node="${node}",direction="${direction}",network="${p.network}",protocol="${p.protocol}"}`;
        const sum = sums.get(key) ?? { attempts: 0, failures: 0 };
        sum.attempts += p.attempts;
        sum.failures += p.failures;
        sums.set(key, sum);
      }
      if (p.protocol === 'udp' && p.rttP50Seconds !== undefined) {
        const key = `netsentry_probe_rtt_median_seconds{node="${p.source}",network="${p.network}"}`;
        rtts.set(key, [...(rtts.get(key) ?? []), p.rttP50Seconds]);
      }
      if (p.failing)
        expected.set(
          `netsentry_probe_pair_failing{source="${p.source}",destination="${p.destination}",network="${p.network}",protocol="${p.protocol}"}`,
          1,
        );
    }
    for (const [key, { attempts, failures }] of sums) if (attempts > 0) expected.set(key, failures / attempts);
    for (const [key, values] of rtts) expected.set(key, values.sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)]!);

    const got = samples(await metrics.metrics(), [
      'netsentry_probe_loss_ratio',
      'netsentry_probe_rtt_median_seconds',
      'netsentry_probe_pair_failing',
    ]);
    expect(got.size).toBeGreaterThan(60);
    expect([...got.values()].filter((v) => v > 0 && v < 1).length).toBeGreaterThan(5); // partial loss, not just 0 and 1
    expect(got.get('netsentry_probe_loss_ratio{node="node-3",direction="inbound",network="pod",protocol="udp"}')).toBe(1);
    expect(Object.fromEntries(got)).toEqual(Object.fromEntries(expected));
  });
});
