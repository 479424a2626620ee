// Services and endpoints from every node (issue 16; seeds 000, 003, 004): a 4-node lab with
// pod agents, Service addresses programmed as nft DNAT rules on every node (kube-proxy's
// nftables mode), TCP servers in pods as endpoints, and the collector's --targets-file.
// Faults are real: a node's Service table removed, a drop from one node's pods to one
// endpoint, an endpoint's server stopped, a target that comes up after the agents.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabProcess } from '../lab/lab.ts';
import { clearEndpointDrop, dropToEndpoint, installServices, removeServices, tcpServerArgv, type LabService } from '../lab/services.ts';
import { onlyFindingsThroughout, startStack, waitFor, waitForLogLine, type Finding, type Stack } from '../harness/stack.ts';

const probeIntervalSeconds = 2;
const detectTimeoutMs = 10 * probeIntervalSeconds * 1000;
const dir = mkdtempSync(join(tmpdir(), 'netsentry-services-'));
let stack: Stack;
let services: LabService[] = [];
const servers = new Map<string, LabProcess>();

const startServer = async (lab: Lab, pod: string, port: number): Promise<void> => {
  const p = lab.pod(pod);
  const proc = lab.start(p.ns, tcpServerArgv(process.execPath, p.ip, port), { name: `tcp-${pod}-${port}`, uid: 65534 });
  servers.set(`${pod}:${port}`, proc);
  await waitForLogLine(proc, 'listening');
};

beforeAll(async () => {
  stack = await startStack({
    nodes: 4,
    podAgents: true,
    collectorArgs: ['--agent-missing-after', '5s', '--target-startup-grace', '120s'],
    agentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
    podAgentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
    beforeCollector: async (lab) => {
      const ep1 = lab.node('node-1').pods[0]!;
      const ep2 = lab.node('node-2').pods[0]!;
      const late = lab.node('node-3').pods[0]!;
      services = [
        {
          ip: '198.19.0.10',
          port: 80,
          endpoints: [
            { ip: ep1.ip, port: 8080 },
            { ip: ep2.ip, port: 8080 },
          ],
        },
        { ip: '198.19.0.20', port: 80, endpoints: [{ ip: late.ip, port: 9090 }] },
      ];
      await Promise.all([startServer(lab, ep1.name, 8080), startServer(lab, ep2.name, 8080)]);
      await Promise.all(lab.nodes.map((n) => installServices(n.ns, services)));
      const file = join(dir, 'targets.yaml');
      writeFileSync(
        file,
        [
          'targets:',
          `  - {name: default/web, protocol: tcp, address: "198.19.0.10:80", endpoints: ["${ep1.ip}:8080", "${ep2.ip}:8080"]}`,
          `  - {name: default/late, protocol: tcp, address: "198.19.0.20:80", endpoints: ["${late.ip}:9090"]}`,
          '',
        ].join('\n'),
      );
      return ['--targets-file', file];
    },
  });
}, 200_000);

// A failed test must not leave its fault for the next one.
afterEach(async () => {
  if (!stack) return;
  await Promise.all(
    stack.lab.nodes.map(async (n) => {
      await installServices(n.ns, services);
      await clearEndpointDrop(n.ns);
    }),
  );
});

afterAll(async () => {
  await stack?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

const open = () => stack.findings();
/** Over a few probe rounds every open finding must satisfy `ok`: precision while a fault lasts. */
const holds = (what: string, ok: (f: Finding) => boolean, rounds = 3) =>
  onlyFindingsThroughout(stack, what, ok, rounds * probeIntervalSeconds * 1000);

describe('Services and endpoints from every node', () => {
  it('seed 000: a target that comes up after the agents is info ("not reachable yet"), then clean once it answers', async () => {
    const lateEp = `${services[1]!.endpoints[0]!.ip}:9090`;
    const info = await waitFor(
      'the late target as info',
      async () => (await open()).find((f) => f.id === `TargetUnreachable:default/late:${lateEp}`),
      detectTimeoutMs,
    );
    expect(info.severity).toBe('info');
    expect(info.summary).toMatch(/not reachable yet/);
    // The healthy Service (default/web) produces nothing; the late one only its info finding.
    await holds('only the info finding while the late target is down', (f) => f.id === info.id && f.severity === 'info');
    await startServer(stack.lab, stack.lab.node('node-3').pods[0]!.name, 9090);
    await waitFor('no findings once the late target answers', async () => (await open()).length === 0, detectTimeoutMs);
  }, 120_000);

  it('seed 003: node-4 loses its Service rules (stale kube-proxy) → ServicePathBroken on node-4 only', async () => {
    const node4 = stack.lab.node('node-4');
    await removeServices(node4.ns);
    const finding = await waitFor(
      'ServicePathBroken on node-4',
      async () => (await open()).find((f) => f.id === 'ServicePathBroken:node-4:default/web'),
      detectTimeoutMs,
    );
    expect(finding.severity).toBe('critical');
    expect(finding.nodes).toEqual(['node-4']);
    await holds('only node-4 Service findings', (f) => f.kind === 'ServicePathBroken' && f.nodes.join() === 'node-4');
    await installServices(node4.ns, services);
    await waitFor('all findings resolved after the rules are back', async () => (await open()).length === 0, detectTimeoutMs);
  }, 90_000);

  it("seed 004: node-3's pods cannot reach one endpoint (a drop rule) → TargetUnreachable naming node-3", async () => {
    const node3 = stack.lab.node('node-3');
    const ep1 = services[0]!.endpoints[0]!;
    await dropToEndpoint(node3.ns, node3.podCidr, ep1);
    const finding = await waitFor(
      'TargetUnreachable from node-3',
      async () => (await open()).find((f) => f.id === 'TargetUnreachable:node-3:default/web'),
      detectTimeoutMs,
    );
    expect(finding.nodes).toEqual(['node-3']);
    expect(finding.summary).toContain(`${ep1.ip}:8080`);
    await holds('only the node-3 finding', (f) => f.id === finding.id);
    await clearEndpointDrop(node3.ns);
    await waitFor('resolved after the drop is removed', async () => (await open()).length === 0, detectTimeoutMs);
  }, 90_000);

  it('an endpoint goes down → TargetUnreachable naming the endpoint and the node hosting it, no probing node', async () => {
    const ep2 = services[0]!.endpoints[1]!;
    const server = servers.get(`${stack.lab.node('node-2').pods[0]!.name}:8080`)!;
    await server.stop('SIGTERM');
    const id = `TargetUnreachable:default/web:${ep2.ip}:8080`;
    const finding = await waitFor('the endpoint finding', async () => (await open()).find((f) => f.id === id), detectTimeoutMs);
    expect(finding.nodes).toEqual(['node-2']);
    expect(finding.severity).toBe('critical');
    await holds('only the endpoint finding', (f) => f.id === id);
    await startServer(stack.lab, stack.lab.node('node-2').pods[0]!.name, 8080);
    await waitFor('resolved once the endpoint answers', async () => (await open()).length === 0, detectTimeoutMs);
  }, 90_000);
});
