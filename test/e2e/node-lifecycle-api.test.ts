// The life cycle WITH the Kubernetes API, in a 4-node lab with host and pod agents: the real
// collector reads the API double (HTTPS, the real @kubernetes/client-node) whose Nodes mirror
// the lab's; agents present projected-token stand-ins that the collector checks by TokenReview.
// Annotation disagreement (with Events and the node condition written and cleared), a Node
// deleted, the API unreachable. Findings are polled through every transition.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exposeToNamespace } from '../harness/expose-to-namespace.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { metricValue, startStack, waitFor, type Stack } from '../harness/stack.ts';

let double: KubeApiDouble;
let stack: Stack;
let closeRelay: (() => Promise<void>) | undefined;
const timings: Record<string, number> = {};
const names = ['node-1', 'node-2', 'node-3', 'node-4'];

const labNodeRecord = (name: string, extra: Partial<Parameters<typeof flannelNode>[1]> = {}) => {
  const node = stack.lab.node(name);
  return flannelNode(name, { internalIp: node.underlayIp, podCidr: node.podCidr, vtepMac: node.vtepMac, ...extra });
};

beforeAll(async () => {
  double = await startKubeApiDouble({ bookmarkIntervalMs: 2_000 });
  stack = await startStack({
    nodes: 4,
    agentNodes: [],
    collectorArgs: ['--kubernetes', 'on', '--write-back', 'on', '--write-back-hysteresis', '2s', '--agent-missing-after', '5s', '--converge-grace', '15s'],
    beforeCollector: async (lab) => {
      const relay = await exposeToNamespace(lab, lab.gatewayNs, Number(new URL(double.url).port));
      closeRelay = relay.close;
      return ['--kubeconfig', await double.kubeconfigFor(relay.port)];
    },
  });
  for (const name of names) double.upsertNode(labNodeRecord(name));
  for (const name of names) {
    const token = await double.writeToken(name, 'netsentry');
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
  nodes: { name: string; state: string; hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number; peersOk: number } }; podAgent?: { connected: boolean } }[];
  departed: { name: string; reason: string }[];
}
const nodesView = () => stack.getJson<NodesView>('/api/v1/nodes');
const allVerified = (view: NodesView, count: number) =>
  view.nodes.length === count && view.nodes.every((n) => n.state === 'active' && n.hostAgent?.connected && n.podAgent?.connected && n.hostAgent.overlayCheck?.peersOk === count - 1);

async function quietUntil(what: string, done: (view: NodesView) => Promise<boolean> | boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    const findings = await stack.findings();
    if (findings.length > 0) throw new Error(`finding open while waiting for ${what}: ${JSON.stringify(findings.map((f) => f.summary))}`);
    if (await done(await nodesView())) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
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
    const finding = await waitFor('NodeRecordMismatch for node-3', async () => (await stack.findings()).find((f) => f.kind === 'NodeRecordMismatch'), 15_000);
    timings.annotationToFinding = Date.now() - started;
    expect(finding.nodes).toEqual(['node-3']);
    expect(finding.evidence.join('\n')).toContain('annotated 0a:58:c6:12:99:99');
    expect(finding.evidence.join('\n')).toContain(`has ${stack.lab.node('node-3').vtepMac}`);
    await waitFor('the Event and the condition on node-3', async () =>
      double.events.some((e) => (e.body as { reason: string }).reason === 'NetsentryNodeRecordMismatch') &&
      double.node('node-3')?.status.conditions?.some((c) => c.type === 'NetsentryNetworkProblem' && c.status === 'True'), 20_000);
    timings.annotationToCondition = Date.now() - started;
    double.upsertNode(labNodeRecord('node-3'));
    await waitFor('resolved, Event and condition cleared', async () =>
      (await stack.findings()).length === 0 &&
      double.events.some((e) => (e.body as { reason: string }).reason === 'NetsentryNodeRecordMismatchResolved') &&
      double.node('node-3')?.status.conditions?.some((c) => c.type === 'NetsentryNetworkProblem' && c.status === 'False'), 30_000);
  }, 90_000);

  it('a Node deleted in the API leaves at once when its agents stop: no finding, peers clean', async () => {
    const started = Date.now();
    await stack.stopAgent('node-4');
    await stack.podAgents.get('node-4')?.stop('SIGTERM');
    stack.podAgents.delete('node-4');
    double.deleteNode('node-4');
    await Promise.all(['node-1', 'node-2', 'node-3'].map((peer) => stack.lab.removePeers(peer, ['node-4'])));
    await quietUntil('node-4 left', async (view) => {
      if (!view.departed.some((d) => d.name === 'node-4' && /deleted from the Kubernetes API/.test(d.reason))) return false;
      const metrics = await stack.metrics();
      return ['node-1', 'node-2', 'node-3'].every((n) => metricValue(metrics, 'netsentry_overlay_routes_missing', { node: n }) === 0) && allVerified(view, 3);
    }, 30_000);
    timings.deleteToLeftAndPeersClean = Date.now() - started;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      expect(await stack.findings()).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }, 90_000);

  it('keeps every node and keeps working while the API is unreachable, and says so', async () => {
    double.setAvailable(false);
    await waitFor('the API seen down', async () => metricValue(await stack.metrics(), 'netsentry_kubernetes_api_up') === 0, 30_000);
    const ready = await stack.getJson<{ status: string; kubernetes: { reachable: boolean; note: string; nodes: number } }>('/readyz');
    expect(ready).toMatchObject({ status: 'ready', kubernetes: { reachable: false, nodes: 3 } });
    expect(ready.kubernetes.note).toMatch(/last view/);
    // Still verifying and finding: a real fault shows while the API is away.
    await stack.lab.deleteOverlayRoutes('node-2', ['node-1']);
    const finding = await waitFor('OverlayRouteMissing for node-2', async () => (await stack.findings()).find((f) => f.kind === 'OverlayRouteMissing'), 15_000);
    expect(finding.nodes).toEqual(['node-2']);
    await stack.lab.restoreOverlay('node-2');
    await waitFor('resolved', async () => !(await stack.findings()).some((f) => f.kind === 'OverlayRouteMissing'), 15_000);
    expect((await nodesView()).nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    double.setAvailable(true);
    await waitFor('the API back', async () => metricValue(await stack.metrics(), 'netsentry_kubernetes_api_up') === 1, 60_000);
  }, 120_000);
});
