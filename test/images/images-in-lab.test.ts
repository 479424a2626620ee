// The built images in the netns lab: the collector and every agent run as containers from
// the images scripts/images.sh builds (podman + runc), with the chart's security context
// (uid 65534, read-only root, no capability, no new privileges, default seccomp), joined to
// the lab's namespaces (`--network ns:/run/netns/…`). The proof that the agent needs no
// capability inside a real container runtime. Run with `sudo bash scripts/images.sh test`.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, type Lab } from '../lab/lab.ts';
import { waitFor, type Finding } from '../harness/stack.ts';
import { agentImage, collectorImage, createContainers, netnsNetwork, podman, removeOrphanContainers, type Container } from './podman.ts';

const probeInterval = '2s';
const grpcPort = 7443;
const httpPort = 8080;
const containers = createContainers();
let lab: Lab;
let collector: Container;
const agents: Container[] = [];
const startupMs = new Map<string, number>();
let uninstallSignals = (): void => {};

/** Polls a container's log for a JSON line with this msg; returns how long after `since` it appeared. */
async function waitForLog(container: Container, msg: string, since: number, timeoutMs = 30_000): Promise<number> {
  await waitFor(
    `'${msg}' from ${container.name}`,
    async () => (await container.logs()).split('\n').some((line) => line.includes(`"msg":"${msg}"`)),
    timeoutMs,
    50,
  );
  return Math.round(performance.now() - since);
}

async function getJson<T>(path: string): Promise<T> {
  const response = await lab.http(httpPort, path, { timeoutMs: 5_000 });
  if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status} ${response.body}`);
  return JSON.parse(response.body) as T;
}
const findings = async (state = 'open'): Promise<Finding[]> =>
  (await getJson<{ findings: Finding[] }>(`/api/v1/findings?state=${state}`)).findings;

/** SIGINT/SIGTERM/SIGHUP while the suite runs: containers (by id), then the lab, then exit. */
function installSignalCleanup(): () => void {
  const codes: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  const handler = (signal: NodeJS.Signals): void => {
    uninstall();
    for (const s of Object.keys(codes)) process.on(s, () => {}); // a second signal must not cut the cleanup short
    void containers
      .removeAll()
      .catch(() => {})
      .then(() => lab?.teardown())
      .catch(() => {})
      .then(() => process.exit(codes[signal] ?? 1));
  };
  const uninstall = (): void => {
    for (const s of Object.keys(codes)) process.off(s, handler);
  };
  for (const s of Object.keys(codes)) process.on(s, handler);
  return uninstall;
}

beforeAll(async () => {
  for (const image of [agentImage, collectorImage]) {
    await podman(['image', 'exists', image]).catch(() => {
      throw new Error(`image ${image} is not built: run sudo bash scripts/images.sh first`);
    });
  }
  await removeOrphanContainers();
  lab = await createLab({ nodes: 4, gateway: 'netns', lockTimeoutMs: 300_000 });
  uninstallSignals = installSignalCleanup();
  const gatewayNs = lab.gatewayNs!;

  const t0 = performance.now();
  collector = await containers.run('collector', collectorImage, netnsNetwork(gatewayNs), [
    '--grpc-listen',
    `${lab.underlayGatewayIp}:${grpcPort}`,
    '--http-listen',
    `${lab.underlayGatewayIp}:${httpPort}`,
    '--peer-set-debounce',
    '50ms',
    '--agent-missing-after',
    '5s',
  ]);
  startupMs.set('collector', await waitForLog(collector, 'collector started', t0));

  const collectorTarget = `${lab.underlayGatewayIp}:${grpcPort}`;
  await Promise.all(
    lab.nodes.flatMap((node) => {
      const pod = node.pods[0]!;
      const common = ['--collector', collectorTarget, '--node-name', node.name, '--probe-interval', probeInterval];
      const specs = [
        {
          name: `agent-${node.name}`,
          ns: node.ns,
          args: [...common, '--network', 'host', '--overlay', 'auto', '--probe-listen', `${node.underlayIp}:7946`],
        },
        // Never the machine's own resolver: lab traffic stays inside the lab's address ranges.
        {
          name: `pod-agent-${node.name}`,
          ns: pod.ns,
          args: [...common, '--network', 'pod', '--probe-listen', `${pod.ip}:7946`, '--dns-server', 'off'],
        },
      ];
      return specs.map(async (spec) => {
        const start = performance.now();
        const agent = await containers.run(spec.name, agentImage, netnsNetwork(spec.ns), spec.args);
        agents.push(agent);
        startupMs.set(spec.name, await waitForLog(agent, 'agent started', start, 60_000));
      });
    }),
  );
  console.log(`image start-up, podman run → "started" log line (ms): ${JSON.stringify(Object.fromEntries(startupMs))}`);
}, 420_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  uninstallSignals();
  await containers.removeAll();
  await lab?.teardown();
}, 120_000);

interface Matrix {
  matrices: { network: string; protocol: string; cells: { attempts: number; failing: boolean }[] }[];
}

describe('the images in a 4-node lab, with the chart security context', () => {
  it('runs every container as uid 65534 with no capability, no new privileges, the seccomp filter and a read-only root', async () => {
    for (const container of [collector, ...agents]) {
      const pid = await container.hostPid();
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim();
      expect(field('Uid'), container.name).toBe('65534\t65534\t65534\t65534');
      expect(field('Gid'), container.name).toBe('65534\t65534\t65534\t65534');
      for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'])
        expect(field(set), `${container.name} ${set}`).toBe('0000000000000000');
      expect(field('NoNewPrivs'), container.name).toBe('1');
      expect(field('Seccomp'), container.name).toBe('2'); // 2 = filter: the runtime's default profile
      const root = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
        .split('\n')
        .find((line) => line.split(' ')[4] === '/');
      expect(root?.split(' ')[5]?.split(','), container.name).toContain('ro');
    }
  });

  it('healthy: every agent connected, a full probe matrix, and zero findings for 15 s', async () => {
    expect(await lab.http(httpPort, '/healthz')).toMatchObject({ status: 200 });
    await waitFor(
      'all 4 host agents verifying 3 peers',
      async () => {
        const { nodes } = await getJson<{
          nodes: { hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number } }; podAgent?: { connected: boolean } }[];
        }>('/api/v1/nodes');
        return (
          nodes.length === 4 &&
          nodes.every((n) => n.hostAgent?.connected && n.hostAgent.overlayCheck?.peersChecked === 3 && n.podAgent?.connected)
        );
      },
      30_000,
    );
    await waitFor(
      'a full probe matrix on both networks',
      async () => {
        const { matrices } = await getJson<Matrix>('/api/v1/matrix');
        return ['host', 'pod'].every((network) =>
          ['udp', 'tcp'].every(
            (protocol) =>
              (matrices.find((m) => m.network === network && m.protocol === protocol)?.cells.filter((c) => c.attempts > 0).length ?? 0) >=
              12,
          ),
        );
      },
      30_000,
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      expect(await findings()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    const { matrices } = await getJson<Matrix>('/api/v1/matrix');
    expect(matrices.flatMap((m) => m.cells).filter((c) => c.failing)).toEqual([]);
  }, 90_000);

  it('seed 002: node-2 loses its overlay routes → OverlayRouteMissing(node-2), nothing about another node; resolved on repair', async () => {
    await lab.deleteOverlayRoutes('node-2');
    const open = await waitFor(
      'OverlayRouteMissing for node-2',
      async () => {
        const all = await findings();
        const root = all.find((f) => f.kind === 'OverlayRouteMissing');
        return root && root.evidence.length >= 3 ? all : undefined;
      },
      20_000,
    );
    const root = open.find((f) => f.kind === 'OverlayRouteMissing')!;
    expect(root.nodes).toEqual(['node-2']);
    expect(root.severity).toBe('critical');
    for (const peer of ['node-1', 'node-3', 'node-4']) expect(root.evidence.join('\n')).toContain(peer);
    expect([...new Set(open.flatMap((f) => f.nodes))]).toEqual(['node-2']);

    await lab.restoreOverlay('node-2');
    await waitFor('every finding resolved', async () => (await findings()).length === 0, 30_000);
    expect((await findings('all')).find((f) => f.id === root.id)?.state).toBe('resolved');
  }, 60_000);

  it('stops on SIGTERM (podman stop) with exit code 0: node is PID 1 and drains', async () => {
    for (const container of [agents[0]!, collector]) {
      await container.stop(10);
      const state = (await podman(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', container.id])).trim();
      expect(state, container.name).toBe('exited 0');
    }
  }, 60_000);
});
