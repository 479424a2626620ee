// The life cycle WITH the Kubernetes API, in a 4-node lab with host and pod agents: the real
// collector reads the API double (HTTPS, the real @kubernetes/client-node) whose Nodes mirror
// the lab's; agents present projected-token stand-ins that the collector checks by TokenReview.
// Annotation disagreement (with Events and the node condition written and cleared), a node
// rebooting (NotReady) and one cordoned and drained (AgentMissing linked to that state, a
// warning), a Node deleted (out of every peer set at once), a node joining with its agent
// before its CNI while the Node says flannel vxlan, the API unreachable. Findings are polled
// through every transition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposeToNamespace } from '../harness/expose-to-namespace.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import {
  holdsThroughout,
  metricValue,
  quietUntil as quietUntilIn,
  startStack,
  waitFor,
  watchUntil,
  type Finding,
  type Stack,
} from '../harness/stack.ts';

let double: KubeApiDouble;
let stack: Stack;
let closeRelay: (() => Promise<void>) | undefined;
const timings: Record<string, number> = {};
const names = ['node-1', 'node-2', 'node-3', 'node-4'];
const convergeGraceSeconds = 15;
const tokens = new Map<string, string>();

const labNodeRecord = (name: string, extra: Partial<Parameters<typeof flannelNode>[1]> = {}) => {
  const node = stack.lab.node(name);
  return flannelNode(name, { internalIp: node.underlayIp, podCidr: node.podCidr, vtepMac: node.vtepMac, ...extra });
};

beforeAll(async () => {
  double = await startKubeApiDouble({ bookmarkIntervalMs: 2_000 });
  stack = await startStack({
    nodes: 4,
    agentNodes: [],
    collectorArgs: [
      '--kubernetes',
      'on',
      '--write-back',
      'on',
      '--write-back-hysteresis',
      '2s',
      '--agent-missing-after',
      '5s',
      '--converge-grace',
      `${convergeGraceSeconds}s`,
    ],
    beforeCollector: async (lab) => {
      const relay = await exposeToNamespace(lab, lab.gatewayNs, Number(new URL(double.url).port));
      closeRelay = relay.close;
      return ['--kubeconfig', await double.kubeconfigFor(relay.port)];
    },
  });
  for (const name of names) double.upsertNode(labNodeRecord(name));
  for (const name of names) {
    const token = await double.writeToken(name, 'netsentry');
    tokens.set(name, token);
    await stack.startAgent(name, ['--auth-token-file', token]);
    await stack.startPodAgent(name, ['--auth-token-file', token]);
  }
}, 240_000);

afterAll(async () => {
  process.stdout.write(`node life-cycle timings with the API (ms): ${JSON.stringify(timings)}\n`);
  await stack?.teardown();
  await closeRelay?.();
  await double?.close();
});

interface NodesView {
  nodes: {
    name: string;
    state: string;
    stateReason?: string;
    kubernetes?: { listed: boolean; flannel?: { backend?: string } };
    hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number; peersOk: number } };
    podAgent?: { connected: boolean };
  }[];
  departed: { name: string; reason: string }[];
}
const nodesView = () => stack.getJson<NodesView>('/api/v1/nodes');
const allVerified = (view: NodesView, count: number) =>
  view.nodes.length === count &&
  view.nodes.every(
    (n) => n.state === 'active' && n.hostAgent?.connected && n.podAgent?.connected && n.hostAgent.overlayCheck?.peersOk === count - 1,
  );

const quietUntil = (what: string, done: (view: NodesView) => Promise<boolean> | boolean, timeoutMs: number): Promise<number> =>
  quietUntilIn(stack, what, nodesView, done, timeoutMs);

/** Waits until no finding has been open for 10 s in a row, so each transition starts settled. */
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

/** Every open finding is `root` or one it explains (a symptom linked to the root cause). */
function onlyRootAndSymptoms(findings: Finding[], root: Finding): void {
  for (const f of findings)
    expect(f.id === root.id || root.explains.includes(f.id), `${f.id} (${f.summary}) is neither ${root.id} nor explained by it`).toBe(true);
}

/**
 * A node goes down in the way `nodeState` says (the Node updated, its agents stopped): an
 * AgentMissing on it that names that state, a warning, and nothing else but its symptoms; then
 * it comes back and the cluster converges to zero findings. Resolves [ms to the finding, ms back to clean].
 */
async function nodeDownAndBack(
  node: string,
  nodeState: Partial<Parameters<typeof flannelNode>[1]>,
  says: RegExp,
): Promise<[number, number]> {
  await settled();
  const started = Date.now();
  double.upsertNode(labNodeRecord(node, nodeState));
  await stack.stopAgent(node);
  await stack.podAgents.get(node)?.stop('SIGTERM');
  stack.podAgents.delete(node);
  const missing = await watchUntil(
    'AgentMissing within 30 s',
    async () => {
      const findings = await stack.findings();
      for (const f of findings)
        expect(f.severity === 'critical' && !findings.some((r) => r.explains.includes(f.id)), `unexplained critical ${f.summary}`).toBe(
          false,
        );
      const found = findings.find((f) => f.kind === 'AgentMissing');
      if (found) {
        onlyRootAndSymptoms(findings, found);
        return found;
      }
      for (const f of findings) expect(f.nodes, f.summary).toEqual([node]);
      return undefined;
    },
    30_000,
  );
  const toFinding = Date.now() - started;
  expect(missing).toMatchObject({ severity: 'warning', nodes: [node] });
  expect(missing.summary).toMatch(says);
  expect(missing.evidence.join('\n')).toMatch(says);
  // For a few more seconds: still only the node and its symptoms, nothing critical unexplained.
  await holdsThroughout('only the node and its symptoms', 5_000, async () => {
    const findings = await stack.findings();
    const root = findings.find((f) => f.kind === 'AgentMissing');
    expect(root?.severity).toBe('warning');
    onlyRootAndSymptoms(findings, root!);
  });
  const back = Date.now();
  double.upsertNode(labNodeRecord(node));
  await stack.startAgent(node, ['--auth-token-file', tokens.get(node)!]);
  await stack.startPodAgent(node, ['--auth-token-file', tokens.get(node)!]);
  await waitFor(
    `${node} back: verified, zero findings`,
    async () => allVerified(await nodesView(), 4) && (await stack.findings()).length === 0,
    60_000,
    500,
  );
  return [toFinding, Date.now() - back];
}

describe('node life cycle with the Kubernetes API (double)', () => {
  it('agents bound to their nodes by TokenReview converge to zero findings; /readyz shows the API', async () => {
    await waitFor('4 nodes verified', async () => allVerified(await nodesView(), 4), 40_000);
    await waitFor('zero findings', async () => (await stack.findings()).length === 0, 30_000);
    const ready = await stack.getJson<{ kubernetes: { reachable: boolean; synced: boolean; nodes: number } }>('/readyz');
    expect(ready.kubernetes).toMatchObject({ reachable: true, synced: true, nodes: 4 });
    expect(double.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews').length).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it('an annotated VtepMAC that differs from the device is a finding with both values, an Event and the node condition, all cleared on repair', async () => {
    const started = Date.now();
    double.upsertNode(labNodeRecord('node-3', { vtepMac: '0a:58:c6:12:99:99' }));
    const finding = await waitFor(
      'NodeRecordMismatch for node-3',
      async () => (await stack.findings()).find((f) => f.kind === 'NodeRecordMismatch'),
      15_000,
    );
    timings.annotationToFinding = Date.now() - started;
    expect(finding.nodes).toEqual(['node-3']);
    expect(finding.evidence.join('\n')).toContain('annotated 0a:58:c6:12:99:99');
    expect(finding.evidence.join('\n')).toContain(`has ${stack.lab.node('node-3').vtepMac}`);
    await waitFor(
      'the Event and the condition on node-3',
      async () =>
        double.events.some((e) => (e.body as { reason: string }).reason === 'NetsentryNodeRecordMismatch') &&
        double.node('node-3')?.status.conditions?.some((c) => c.type === 'NetsentryNetworkProblem' && c.status === 'True'),
      20_000,
    );
    timings.annotationToCondition = Date.now() - started;
    double.upsertNode(labNodeRecord('node-3'));
    await waitFor(
      'resolved, Event and condition cleared',
      async () =>
        (await stack.findings()).length === 0 &&
        double.events.some((e) => (e.body as { reason: string }).reason === 'NetsentryNodeRecordMismatchResolved') &&
        double.node('node-3')?.status.conditions?.some((c) => c.type === 'NetsentryNetworkProblem' && c.status === 'False'),
      30_000,
    );
  }, 90_000);

  it('node-3 reboots (NotReady, its agents gone): AgentMissing linked to NotReady, a warning; back up, zero findings', async () => {
    [timings.notReadyToAgentMissing, timings.rebootBackToClean] = await nodeDownAndBack('node-3', { ready: false }, /NotReady/);
  }, 150_000);

  it('node-2 cordoned and drained (its agents gone): AgentMissing linked to the cordon, a warning; uncordoned, zero findings', async () => {
    [timings.cordonToAgentMissing, timings.uncordonBackToClean] = await nodeDownAndBack('node-2', { unschedulable: true }, /cordoned/);
  }, 150_000);

  it('a Node deleted in the API leaves every peer set at once, its agents still running; they stop: left, no finding, peers clean', async () => {
    await settled();
    const started = Date.now();
    double.deleteNode('node-4');
    const peersChecked = (view: NodesView, n: string) => view.nodes.find((x) => x.name === n)?.hostAgent?.overlayCheck?.peersChecked;
    await quietUntil(
      'node-4 out of every peer set',
      (view) => ['node-1', 'node-2', 'node-3'].every((n) => peersChecked(view, n) === 2),
      15_000,
    );
    timings.deleteToOutOfPeerSets = Date.now() - started;
    expect((await nodesView()).nodes.find((n) => n.name === 'node-4')?.kubernetes).toEqual({ listed: false });
    await stack.stopAgent('node-4');
    await stack.podAgents.get('node-4')?.stop('SIGTERM');
    stack.podAgents.delete('node-4');
    await Promise.all(['node-1', 'node-2', 'node-3'].map((peer) => stack.lab.removePeers(peer, ['node-4'])));
    await quietUntil(
      'node-4 left',
      async (view) => {
        if (!view.departed.some((d) => d.name === 'node-4' && /deleted from the Kubernetes API/.test(d.reason))) return false;
        const metrics = await stack.metrics();
        return (
          ['node-1', 'node-2', 'node-3'].every((n) => metricValue(metrics, 'netsentry_overlay_routes_missing', { node: n }) === 0) &&
          allVerified(view, 3)
        );
      },
      30_000,
    );
    timings.deleteToLeftAndPeersClean = Date.now() - started;
    await holdsThroughout('30 s with no finding', 30_000, async () => expect(await stack.findings()).toEqual([]));
  }, 90_000);

  it('node-4 joins with its agent before its CNI while the Node says flannel vxlan: held with that reason; past the grace NodeRecordMismatch is the root cause; the CNI arrives and it is verified without an agent restart', async () => {
    const node = stack.lab.node('node-4');
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    const started = Date.now();
    double.upsertNode(labNodeRecord('node-4'));
    const agent = await stack.startAgent('node-4', ['--auth-token-file', tokens.get('node-4')!]);
    await stack.startPodAgent('node-4', ['--auth-token-file', tokens.get('node-4')!]);
    await quietUntil(
      'node-4 joining, waiting for its CNI',
      (view) => {
        const n4 = view.nodes.find((n) => n.name === 'node-4');
        return (
          n4?.state === 'joining' &&
          /waiting for the CNI: the Node says flannel vxlan/.test(n4.stateReason ?? '') &&
          n4.kubernetes?.flannel?.backend === 'vxlan'
        );
      },
      15_000,
    );
    timings.joinToHeldWithCniReason = Date.now() - started;
    // The CNI does not come: once the grace is over the disagreement is the root cause, everything else its symptom.
    const root = await waitFor(
      'NodeRecordMismatch for node-4',
      async () => (await stack.findings()).find((f) => f.kind === 'NodeRecordMismatch'),
      (convergeGraceSeconds + 15) * 1000,
      250,
    );
    timings.joinWithoutCniToRootCause = Date.now() - started;
    expect(timings.joinWithoutCniToRootCause).toBeGreaterThanOrEqual(convergeGraceSeconds * 1000 - 1000);
    expect(root).toMatchObject({ severity: 'critical', nodes: ['node-4'] });
    expect(root.evidence.join('\n')).toMatch(/the Node says flannel backend vxlan .*no flannel\.<VNI> VXLAN device/);
    // Held for 3 s, checked at every poll: nothing else opens beside the root cause and its symptoms.
    await holdsThroughout(
      'only the root cause and its symptoms',
      3_000,
      async () => {
        const findings = await stack.findings();
        onlyRootAndSymptoms(
          findings,
          findings.find((f) => f.kind === 'NodeRecordMismatch')!,
        );
      },
      250,
    );
    // The CNI arrives: flannel creates its device and programs node-4, then the peers program it.
    const cni = Date.now();
    await stack.lab.createOverlayDevice('node-4');
    await stack.lab.restoreOverlay('node-4');
    for (const peer of ['node-1', 'node-2', 'node-3']) await stack.lab.restoreOverlay(peer);
    await waitFor(
      'node-4 verified, zero findings',
      async () => allVerified(await nodesView(), 4) && (await stack.findings()).length === 0,
      45_000,
      500,
    );
    timings.cniToVerified = Date.now() - cni;
    expect(agent.output()).toContain('overlay device appeared');
    expect(agent.output().match(/"msg":"agent started"/g)).toHaveLength(1);
  }, 150_000);

  it("node-2's overlay device is deleted and recreated (the CNI restarting) while the Node says vxlan: held, converges without an agent restart, no finding", async () => {
    const node = stack.lab.node('node-2');
    const agent = stack.agents.get('node-2')!;
    await settled();
    const started = Date.now();
    await stack.lab.exec(node.ns, ['ip', 'link', 'del', 'flannel.1']);
    await quietUntil(
      'node-2 settling with flannel.1 gone',
      (view) => view.nodes.find((n) => n.name === 'node-2')?.state === 'settling',
      15_000,
    );
    // flannel's restart takes a few seconds: the disagreement with the Node (vxlan, no device) stays held meanwhile.
    await quietUntil('3 s of the CNI away', () => Date.now() - started > 3_000, 10_000);
    await stack.lab.createOverlayDevice('node-2');
    await stack.lab.restoreOverlay('node-2');
    await quietUntil('node-2 active and every overlay verified', (view) => allVerified(view, 4), convergeGraceSeconds * 1000);
    timings.cniRestartToVerified = Date.now() - started;
    expect(agent.output().match(/"msg":"agent started"/g)).toHaveLength(1);
  }, 90_000);

  it('keeps every node and keeps working while the API is unreachable, and says so', async () => {
    const started = Date.now();
    double.setAvailable(false);
    await waitFor('the API seen down', async () => metricValue(await stack.metrics(), 'netsentry_kubernetes_api_up') === 0, 30_000);
    timings.apiDownToMetric = Date.now() - started;
    const ready = await stack.getJson<{ status: string; kubernetes: { reachable: boolean; note: string; nodes: number } }>('/readyz');
    expect(ready).toMatchObject({ status: 'ready', kubernetes: { reachable: false, nodes: 4 } });
    expect(ready.kubernetes.note).toMatch(/last view/);
    // Still verifying and finding: a real fault shows while the API is away.
    await stack.lab.deleteOverlayRoutes('node-2', ['node-1']);
    const finding = await waitFor(
      'OverlayRouteMissing for node-2',
      async () => (await stack.findings()).find((f) => f.kind === 'OverlayRouteMissing'),
      15_000,
    );
    expect(finding.nodes).toEqual(['node-2']);
    await stack.lab.restoreOverlay('node-2');
    await waitFor('resolved', async () => !(await stack.findings()).some((f) => f.kind === 'OverlayRouteMissing'), 15_000);
    expect((await nodesView()).nodes.map((n) => n.name)).toEqual(names);
    expect(allVerified(await nodesView(), 4)).toBe(true);
    const back = Date.now();
    double.setAvailable(true);
    await waitFor('the API back', async () => metricValue(await stack.metrics(), 'netsentry_kubernetes_api_up') === 1, 60_000);
    timings.apiBackToMetric = Date.now() - back;
  }, 120_000);
});
