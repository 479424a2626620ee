// One agent per node (agent --pod-network-probes via-overlay, chart hostAgent.podNetworkProbes):
// no pod agents; each host agent answers for its node's pod network at cni0's address and
// probes the peers' cni0 addresses through flannel.1 → VXLAN → the peer's flannel.1, DNS from
// the host's network namespace (dnsmasq in node-1's pod). A 4-node lab: healthy stays at zero
// findings; seed 002 (node-2's overlay routes deleted) is OverlayRouteMissing(node-2) explaining
// the pod-network NodeIsolated, nothing about another node; repaired, everything resolves.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiNodesAnswer } from '../../shared/src/api-types.ts';
import { metricValue, startStack, waitFor, type Finding, type Stack } from '../harness/stack.ts';

const probeIntervalSeconds = 2;
const detectTimeoutMs = 8 * probeIntervalSeconds * 1000;
const nodes = ['node-1', 'node-2', 'node-3', 'node-4'];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    nodes: 4,
    agentNodes: [], // started below, once the resolver's address is known
    dnsPod: 'node-1-pod-1',
    collectorArgs: ['--agent-missing-after', '5s'],
  });
  await Promise.all(
    nodes.map((node) =>
      stack.startAgent(node, [
        '--pod-network-probes',
        'via-overlay',
        // Peers probe this node's cni0 address: the responder listens on every address.
        '--probe-listen',
        '0.0.0.0:7946',
        '--probe-interval',
        `${probeIntervalSeconds}s`,
        // Never the machine's resolver: the lab's dnsmasq.
        '--dns-server',
        stack.dnsServer!,
      ]),
    ),
  );
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  await stack?.teardown();
});

const namedNodes = (findings: Finding[]) => [...new Set(findings.flatMap((f) => f.nodes))].sort();
const batches = async () => metricValue(await stack.metrics(), 'netsentry_messages_received_total', { type: 'probeBatch' }) ?? 0;

interface Matrix {
  matrices: { network: string; protocol: string; cells: { source: string; destination: string; attempts: number; failing: boolean }[] }[];
}

describe('one agent per node: host agents probe the pod network through the overlay', () => {
  it('covers both networks with host agents only and stays at zero findings', async () => {
    await waitFor(
      'a full probe matrix on both networks',
      async () => {
        const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
        const full = (network: string, protocol: string) =>
          (matrices.find((m) => m.network === network && m.protocol === protocol)?.cells.filter((c) => c.attempts > 0).length ?? 0) >= 12;
        return full('host', 'udp') && full('host', 'tcp') && full('pod', 'udp') && full('pod', 'tcp');
      },
      30_000,
    );
    const { nodes: seen } = await stack.getJson<ApiNodesAnswer>('/api/v1/nodes');
    expect(seen.map((n) => n.name).sort()).toEqual(nodes);
    for (const node of seen) {
      expect(node.hostAgent?.connected, node.name).toBe(true);
      expect(node.podAgent, node.name).toBeUndefined();
    }
    // Zero findings at every poll across 4 more rounds from every agent.
    const before = await batches();
    await waitFor(
      'four more probe rounds from every agent, with zero findings throughout',
      async () => {
        expect(await stack.findings()).toEqual([]);
        return (await batches()) >= before + 4 * nodes.length;
      },
      detectTimeoutMs * 2,
      500,
    );
    const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
    for (const matrix of matrices)
      for (const cell of matrix.cells)
        expect(cell.failing, `${matrix.network}/${matrix.protocol} ${cell.source}→${cell.destination}`).toBe(false);
    const metrics = await stack.metrics();
    // DNS from the host network namespace of node-3, through the overlay to node-1's pod.
    expect(metricValue(metrics, 'netsentry_dns_probe_success_ratio', { node: 'node-3', protocol: 'udp' })).toBe(1);
  }, 90_000);

  it('seed 002: node-2 loses its overlay routes → OverlayRouteMissing(node-2) explains the pod-network NodeIsolated; repaired → resolved', async () => {
    await stack.lab.deleteOverlayRoutes('node-2');
    let last: Finding[] = [];
    const findings = await waitFor(
      'the root cause and its symptom',
      async () => {
        const open = (last = await stack.findings());
        const has = (kind: string) => open.some((f) => f.kind === kind);
        return has('OverlayRouteMissing') && has('NodeIsolated') ? open : undefined;
      },
      detectTimeoutMs,
    ).catch(async (err: Error) => {
      const { matrices } = await stack.getJson<Matrix>('/api/v1/matrix');
      const failing = matrices.flatMap((m) =>
        m.cells.filter((c) => c.failing).map((c) => `${m.network}/${m.protocol} ${c.source}→${c.destination}`),
      );
      const agentLog = stack.agents.get('node-2')?.output().split('\n').slice(-25).join('\n');
      throw new Error(
        `${err.message}; open: ${JSON.stringify(last.map((f) => [f.kind, f.nodes, f.summary]))}; failing: ${failing.join(', ')}\nnode-2 agent:\n${agentLog}`,
      );
    });
    expect(namedNodes(findings)).toEqual(['node-2']);
    const root = findings[0]!;
    expect(root.kind).toBe('OverlayRouteMissing');
    const isolated = findings.find((f) => f.kind === 'NodeIsolated')!;
    expect(isolated.summary).toMatch(/pod network/);
    expect(root.explains).toContain(isolated.id);
    // Every open finding about node-2 is the root cause or one it explains, and it stays so for two more rounds.
    const before = await batches();
    const history: string[] = [];
    await waitFor(
      'two more probe rounds from every agent, naming node-2 alone',
      async () => {
        const open = await stack.findings();
        history.push(open.map((f) => `${f.kind}(${f.nodes.join(',')})`).join(' '));
        expect(namedNodes(open)).toEqual(['node-2']);
        const rootNow = open.find((f) => f.kind === 'OverlayRouteMissing');
        expect(rootNow, 'the root cause stays open').toBeDefined();
        for (const f of open) if (f !== rootNow) expect(rootNow!.explains, f.kind).toContain(f.id);
        return (await batches()) >= before + 2 * nodes.length;
      },
      detectTimeoutMs,
      500,
    ).catch((err: Error) => {
      const agentLog = stack.agents.get('node-2')?.output().split('\n').slice(-15).join('\n');
      throw new Error(`${err.message}\nfindings per poll:\n${history.join('\n')}\nnode-2 agent:\n${agentLog}`);
    });

    await stack.lab.restoreOverlay('node-2');
    await waitFor('all node-2 findings to resolve', async () => (await stack.findings()).length === 0, detectTimeoutMs * 2);
  }, 90_000);
});
