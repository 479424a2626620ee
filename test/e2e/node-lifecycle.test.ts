// The cluster's ordinary life, without the Kubernetes API, in a 4-node lab with host and pod
// agents: a node leaves cleanly (its agents stop, every peer's flannel removes its route,
// neighbor and FDB entry toward it), joins again with its agent started before its CNI, and a
// node's overlay device is deleted and recreated (the CNI restarting). Findings are polled
// through every transition: none may open. Each transition's duration is printed at the end.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdsThroughout, metricValue, quietUntil as quietUntilIn, startStack, waitFor, type Stack } from '../harness/stack.ts';

const convergeGraceSeconds = 20;
const agentMissingAfterSeconds = 10;
let stack: Stack;
const timings: Record<string, number> = {};

beforeAll(async () => {
  stack = await startStack({
    nodes: 4,
    podAgents: true,
    collectorArgs: ['--agent-missing-after', `${agentMissingAfterSeconds}s`, '--converge-grace', `${convergeGraceSeconds}s`],
  });
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  process.stdout.write(`node life-cycle timings (ms): ${JSON.stringify(timings)}\n`);
  await stack?.teardown();
});

interface NodesView {
  nodes: {
    name: string;
    state: string;
    stateReason?: string;
    hostAgent?: {
      connected: boolean;
      overlay?: { kind: string };
      overlayCheck?: { peersChecked: number; peersOk: number };
      links?: { name: string; present: boolean }[];
    };
    podAgent?: { connected: boolean };
  }[];
  departed: { name: string; state: string; leftAt: string; reason: string }[];
}

const nodesView = () => stack.getJson<NodesView>('/api/v1/nodes');
const peersOf = (node: string) => ['node-1', 'node-2', 'node-3', 'node-4'].filter((n) => n !== node);

const quietUntil = (what: string, done: (view: NodesView) => Promise<boolean> | boolean, timeoutMs: number): Promise<number> =>
  quietUntilIn(stack, what, nodesView, done, timeoutMs);

/** Asserts zero findings at every poll for `ms` (the work — probes, reports, detector passes — goes on meanwhile). */
async function quietFor(ms: number): Promise<void> {
  await holdsThroughout('zero findings', ms, async () => expect(await stack.findings()).toEqual([]));
}

/**
 * Waits until no finding has been open for 10 s in a row: after a repaired fault, probe-based
 * symptoms judged on the failed round may open and resolve a round later, so each transition
 * starts from a settled cluster.
 */
async function settled(): Promise<void> {
  let quietSince = Date.now();
  await waitFor(
    '10 s without a finding',
    async () => {
      if ((await stack.findings()).length > 0) quietSince = Date.now();
      return Date.now() - quietSince >= 10_000;
    },
    60_000,
    500,
  );
}

const allVerified = (view: NodesView, count: number) =>
  view.nodes.length === count &&
  view.nodes.every(
    (n) =>
      n.state === 'active' &&
      n.hostAgent?.connected &&
      n.podAgent?.connected &&
      n.hostAgent.overlayCheck?.peersChecked === count - 1 &&
      n.hostAgent.overlayCheck.peersOk === count - 1,
  );

describe('node life cycle without the Kubernetes API', () => {
  it('converges to zero findings with host and pod agents', async () => {
    await waitFor('4 nodes verified', async () => allVerified(await nodesView(), 4), 30_000);
    await waitFor('zero findings', async () => (await stack.findings()).length === 0, 30_000);
    await quietFor(5_000);
  }, 60_000);

  it('node-4 leaves cleanly: no finding, out of the peer sets, listed as left, peers back to 0 routes missing', async () => {
    const started = Date.now();
    await stack.stopAgent('node-4');
    await stack.podAgents.get('node-4')?.stop('SIGTERM');
    stack.podAgents.delete('node-4');
    await Promise.all(peersOf('node-4').map((peer) => stack.lab.removePeers(peer, ['node-4'])));
    await quietUntil(
      'node-4 concluded left',
      async (view) => {
        if (!view.departed.some((d) => d.name === 'node-4') || view.nodes.some((n) => n.name === 'node-4')) return false;
        const metrics = await stack.metrics();
        return (
          peersOf('node-4').every((peer) => metricValue(metrics, 'netsentry_overlay_routes_missing', { node: peer }) === 0) &&
          allVerified(view, 3)
        );
      },
      30_000,
    );
    timings.leaveToLeftAndPeersClean = Date.now() - started;
    const { departed } = await nodesView();
    expect(departed.find((d) => d.name === 'node-4')).toMatchObject({ state: 'left', reason: expect.stringMatching(/every peer removed/) });
    // The bar: nothing about any node for 60 s after a clean leave.
    await quietFor(60_000);
    expect(stack.collector.output()).toContain('"msg":"node left the cluster"');
  }, 120_000);

  it('node-4 joins with its agent started before its CNI: held while the overlay converges, verified without an agent restart', async () => {
    const node = stack.lab.node('node-4');
    // A fresh node: no overlay device yet, and node-4's own entries toward its peers gone with it.
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    const started = Date.now();
    const agent = await stack.startAgent('node-4');
    await stack.startPodAgent('node-4');
    await quietUntil(
      'node-4 joining',
      (view) => view.nodes.some((n) => n.name === 'node-4' && n.state === 'joining' && n.hostAgent?.connected && n.podAgent?.connected),
      15_000,
    );
    expect(agent.output()).toMatch(/"overlay":"none"/);
    // The CNI arrives: flannel creates its device and programs node-4, then the peers program it.
    await stack.lab.createOverlayDevice('node-4');
    await stack.lab.restoreOverlay('node-4');
    for (const peer of peersOf('node-4')) await stack.lab.restoreOverlay(peer);
    await quietUntil(
      'node-4 active and every overlay verified',
      (view) => {
        const n4 = view.nodes.find((n) => n.name === 'node-4');
        return n4?.hostAgent?.overlay?.kind === 'flannel-vxlan' && allVerified(view, 4);
      },
      convergeGraceSeconds * 1000,
    );
    timings.joinToVerified = Date.now() - started;
    expect(agent.output()).toContain('overlay device appeared');
    expect(agent.output().match(/"msg":"agent started"/g)).toHaveLength(1);
    expect(stack.collector.output()).toContain('"msg":"node overlay converged"');
    // Probe windows catch up with the converged overlay: still nothing.
    await quietFor(15_000);
  }, 90_000);

  it('node-4 is an ordinary member once converged: a lost route shows at once', async () => {
    const started = Date.now();
    await stack.lab.deleteOverlayRoutes('node-4', ['node-1']);
    const finding = await waitFor(
      'OverlayRouteMissing for node-4',
      async () => (await stack.findings()).find((f) => f.kind === 'OverlayRouteMissing'),
      10_000,
    );
    timings.faultAfterJoinToFinding = Date.now() - started;
    expect(finding.nodes).toEqual(['node-4']);
    expect(finding.peer).toBe('node-1');
    await stack.lab.restoreOverlay('node-4');
    await waitFor('the finding to resolve', async () => (await stack.findings()).length === 0, 15_000);
  }, 30_000);

  it("node-2's overlay device is deleted and recreated (the CNI restarting): converges without an agent restart, no finding", async () => {
    const node = stack.lab.node('node-2');
    const agent = stack.agents.get('node-2')!;
    await settled();
    const started = Date.now();
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    await quietUntil(
      'node-2 settling with flannel.1 gone',
      (view) => {
        const n2 = view.nodes.find((n) => n.name === 'node-2');
        return n2?.state === 'settling' && n2.hostAgent?.links?.some((l) => l.name === 'flannel.1' && !l.present) === true;
      },
      15_000,
    );
    await stack.lab.createOverlayDevice('node-2');
    await stack.lab.restoreOverlay('node-2');
    await quietUntil('node-2 active and every overlay verified', (view) => allVerified(view, 4), convergeGraceSeconds * 1000);
    timings.cniRestartToVerified = Date.now() - started;
    expect(agent.output().match(/"msg":"agent started"/g)).toHaveLength(1);
    await quietFor(15_000);
  }, 120_000);

  it('a CNI that never comes back shows once the grace is over', async () => {
    const node = stack.lab.node('node-3');
    await settled();
    const started = Date.now();
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    const finding = await waitFor(
      'LinkDown for node-3',
      async () => (await stack.findings()).find((f) => f.kind === 'LinkDown'),
      (convergeGraceSeconds + 10) * 1000,
    );
    timings.cniGoneToFinding = Date.now() - started;
    expect(finding.nodes).toEqual(['node-3']);
    expect(timings.cniGoneToFinding).toBeGreaterThanOrEqual(convergeGraceSeconds * 1000 - 1000);
    await stack.lab.createOverlayDevice('node-3');
    await stack.lab.restoreOverlay('node-3');
    await waitFor('findings to resolve', async () => (await stack.findings()).length === 0, 20_000);
  }, 120_000);
});
