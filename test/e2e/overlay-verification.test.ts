// The walking skeleton end to end: real kernel state in a 4-node netns lab → host agents →
// collector findings and metrics. Faults are real kernel changes.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectRequestSchema, type ConnectRequest, type ConnectResponse } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../shared/src/gen/netsentry/v1/node_pb.js';
import { connectPath, decodeResponse, encodeRequest } from '../../shared/src/wire.ts';
import { agentEntry, holdsThroughout, metricValue, startStack, waitFor, type Finding, type Stack } from '../harness/stack.ts';

const execFileAsync = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ nodes: 4, collectorArgs: ['--agent-missing-after', '3s'] });
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  await stack?.teardown();
});

const byKind = (findings: Finding[], kind: string) => findings.filter((f) => f.kind === kind);

describe('overlay verification in a 4-node lab', () => {
  it('converges to zero findings and stays there for 20 s', async () => {
    await waitFor(
      'all 4 host agents reporting',
      async () => {
        const { nodes } = await stack.getJson<{
          nodes: { name: string; hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number } } }[];
        }>('/api/v1/nodes');
        return nodes.length === 4 && nodes.every((n) => n.hostAgent?.connected && n.hostAgent.overlayCheck?.peersChecked === 3);
      },
      20_000,
    );
    await holdsThroughout('zero findings', 20_000, async () => expect(await stack.findings()).toEqual([]), 1_000);
    const metrics = await stack.metrics();
    for (const node of ['node-1', 'node-2', 'node-3', 'node-4']) {
      expect(metricValue(metrics, 'netsentry_overlay_routes_missing', { node })).toBe(0);
    }
  }, 60_000);

  it('names node-2 and its 3 peers when node-2 loses its overlay routes (seed 002), and resolves on repair', async () => {
    await stack.lab.deleteOverlayRoutes('node-2');
    const finding = await waitFor('OverlayRouteMissing for node-2', async () => {
      const found = byKind(await stack.findings(), 'OverlayRouteMissing');
      return found.length === 1 && found[0]!.evidence.length >= 3 ? found[0] : undefined;
    });
    expect(finding.nodes).toEqual(['node-2']);
    expect(finding.severity).toBe('critical');
    for (const peer of ['node-1', 'node-3', 'node-4']) expect(finding.evidence.join('\n')).toContain(peer);
    expect(finding.evidence.join('\n')).toMatch(/route/i);
    expect(finding.remediation.join('\n')).toMatch(/flannel/);
    // Only node-2 is named: no finding about a healthy node.
    expect((await stack.findings()).flatMap((f) => f.nodes)).toEqual(['node-2']);
    expect(metricValue(await stack.metrics(), 'netsentry_overlay_routes_missing', { node: 'node-2' })).toBe(3);
    expect(metricValue(await stack.metrics(), 'netsentry_findings', { kind: 'OverlayRouteMissing', node: 'node-2' })).toBe(1);

    await stack.lab.restoreOverlay('node-2');
    await waitFor('the finding to resolve', async () => (await stack.findings()).length === 0);
    const all = await stack.findings('all');
    expect(all.find((f) => f.id === finding.id)?.state).toBe('resolved');
    expect(metricValue(await stack.metrics(), 'netsentry_overlay_routes_missing', { node: 'node-2' })).toBe(0);
  }, 30_000);

  it('names node-3, the peer and the FDB part when one FDB entry is removed', async () => {
    await stack.lab.deleteFdbEntry('node-3', 'node-1');
    const finding = await waitFor('OverlayRouteMissing for node-3', async () => byKind(await stack.findings(), 'OverlayRouteMissing')[0]);
    expect(finding.nodes).toEqual(['node-3']);
    expect(finding.peer).toBe('node-1');
    const evidence = finding.evidence.join('\n');
    expect(evidence).toContain('node-1');
    expect(evidence).toMatch(/fdb/i);
    expect(evidence).not.toContain('node-2');
    expect(metricValue(await stack.metrics(), 'netsentry_overlay_routes_missing', { node: 'node-3' })).toBe(1);
    await stack.lab.restoreOverlay('node-3');
    await waitFor('the FDB finding to resolve', async () => (await stack.findings()).length === 0);
  }, 30_000);

  it('refuses a hello with an empty node name or an invalid CIDR with INVALID_ARGUMENT and keeps serving', async () => {
    const client = new grpc.Client(stack.grpcFromTest, grpc.credentials.createInsecure());
    const helloStatus = (hello: Record<string, unknown>) =>
      new Promise<grpc.StatusObject>((resolve) => {
        const call = client.makeBidiStreamRequest<ConnectRequest, ConnectResponse>(connectPath, encodeRequest, decodeResponse);
        call.on('data', () => undefined);
        call.on('error', () => undefined);
        call.on('status', resolve);
        call.write(
          create(ConnectRequestSchema, {
            payload: { case: 'hello', value: { network: Network.HOST, addresses: ['192.0.2.99'], ...hello } },
          }),
        );
      });
    const empty = await helloStatus({ nodeName: '', podCidrs: ['198.18.9.0/24'] });
    expect(empty.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(empty.details).toMatch(/node_name is empty/);
    const badCidr = await helloStatus({ nodeName: 'node-9', podCidrs: ['198.18.9.0/99'] });
    expect(badCidr.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(badCidr.details).toMatch(/not a valid CIDR/);
    client.close();
    // Still serving, and the refused hellos left nothing behind.
    const { nodes } = await stack.getJson<{ nodes: { name: string }[] }>('/api/v1/nodes');
    expect(nodes.map((n) => n.name).sort()).toEqual(['node-1', 'node-2', 'node-3', 'node-4']);
    expect(await stack.findings()).toEqual([]);
    expect(metricValue(await stack.metrics(), 'netsentry_stream_errors_total', { reason: 'invalid_hello' })).toBe(2);
  });

  it('keeps retrying with backoff and without log spam when the collector is unreachable', async () => {
    const node = stack.lab.node('node-1');
    // A port nothing listens on, on the lab's underlay.
    const proc = stack.lab.start(
      node.ns,
      [
        process.execPath,
        agentEntry,
        '--collector',
        `${stack.lab.underlayGatewayIp}:9`,
        '--node-name',
        'node-1',
        '--probe-listen',
        `${node.underlayIp}:0`,
        '--reconnect-max-backoff',
        '2s',
      ],
      { name: 'agent-unreachable', uid: 65534 },
    );
    // Logged at failures 1, 2 and 4 only (0.5 → 1 → 2 s backoff, capped at 2 s): wait for the fourth.
    const streamDown = () =>
      proc
        .output()
        .split('\n')
        .filter((l) => l.includes('collector stream down'))
        .map((l) => JSON.parse(l) as { failures: number; retryInMs: number });
    await waitFor('the fourth failed attempt logged', async () => streamDown().some((l) => l.failures === 4), 15_000);
    await proc.stop();
    const lines = streamDown();
    expect(lines.map((l) => l.failures)).toEqual([1, 2, 4]);
    for (const { retryInMs } of lines) expect(retryInMs).toBeLessThanOrEqual(2_000);
    expect(proc.output()).toContain('agent started');
  }, 20_000);

  it('fails at start-up with a clear error when the ip binary is missing', async () => {
    const result = await execFileAsync(process.execPath, [agentEntry, '--collector', '127.0.0.1:9', '--node-name', 'node-1'], {
      env: { PATH: '/nonexistent' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DEPENDENCY_MISSING/);
    expect(result.stderr).toMatch(/iproute2/);
  });

  it('opens AgentMissing for node-4 when its agent is killed', async () => {
    await stack.stopAgent('node-4', 'SIGKILL');
    const finding = await waitFor('AgentMissing for node-4', async () => byKind(await stack.findings(), 'AgentMissing')[0], 15_000);
    expect(finding.nodes).toEqual(['node-4']);
    expect((await stack.findings()).flatMap((f) => f.nodes)).toEqual(['node-4']);
  }, 20_000);

  it('picks up flannel.1 created after the agent started (seed 000 race) and re-announces node-2', async () => {
    const node = stack.lab.node('node-2');
    await stack.stopAgent('node-2');
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    const agent = await stack.startAgent('node-2');
    expect(agent.output()).toMatch(/"overlay":"none"/);
    // Without its overlay device the node is still announced (underlay IP from eth0).
    await waitFor('node-2 connected without an overlay', async () => {
      const { nodes } = await stack.getJson<{ nodes: { name: string; hostAgent?: { connected: boolean; overlay?: { kind: string } } }[] }>(
        '/api/v1/nodes',
      );
      const n2 = nodes.find((n) => n.name === 'node-2')?.hostAgent;
      return n2?.connected && n2.overlay?.kind === 'none';
    });
    await stack.lab.createOverlayDevice('node-2');
    await stack.lab.restoreOverlay('node-2');
    await waitFor('node-2 re-announced with its VXLAN device and verified', async () => {
      const { nodes } = await stack.getJson<{
        nodes: {
          name: string;
          hostAgent?: {
            connected: boolean;
            overlay?: { kind: string; vtepMac: string };
            overlayCheck?: { peersChecked: number; peersOk: number };
          };
        }[];
      }>('/api/v1/nodes');
      const n2 = nodes.find((n) => n.name === 'node-2')?.hostAgent;
      return (
        n2?.connected &&
        n2.overlay?.kind === 'flannel-vxlan' &&
        n2.overlay.vtepMac === node.vtepMac &&
        n2.overlayCheck?.peersChecked === 3 &&
        n2.overlayCheck.peersOk === 3
      );
    });
    expect(agent.output()).toContain('overlay device appeared');
    expect((await stack.findings()).filter((f) => f.nodes.includes('node-2'))).toEqual([]);
    // The collector noticed the restart (a new agent process) and says so.
    expect(stack.collector.output()).toMatch(/"node":"node-2".*"msg":"agent restarted"|"msg":"agent restarted".*"node":"node-2"/);
    const { nodes } = await stack.getJson<{ nodes: { name: string; hostAgent?: { restarts: number; restartedAt?: string } }[] }>(
      '/api/v1/nodes',
    );
    expect(nodes.find((n) => n.name === 'node-2')?.hostAgent).toMatchObject({ restarts: 1, restartedAt: expect.any(String) });
    expect(metricValue(await stack.metrics(), 'netsentry_agent_restarts_total', { network: 'host' })).toBe(1);
  }, 30_000);

  it('drains and exits cleanly on SIGTERM, agents and collector alike', async () => {
    const agent = stack.agents.get('node-1')!;
    expect(await agent.stop('SIGTERM')).toBe(0);
    expect(agent.output()).toContain('shutting down');
    expect(await stack.collector.stop('SIGTERM')).toBe(0);
    expect(stack.collector.output()).toContain('collector stopped');
  }, 20_000);
});
