// The collector's use of the API, end to end in one process: the real client against the API
// double feeds the informer; the model, the node life cycle and the detectors read it as the
// collector wires them (collector.ts). Agents are model calls here; the lab e2e runs real ones.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createNeverConnectedDetector, linkAgentMissingToNodeState } from '../../collector/src/kubernetes/api-agent-state.ts';
import { createNodeInformer, type NodeInformer } from '../../collector/src/kubernetes/node-informer.ts';
import { createRecordMismatchDetector } from '../../collector/src/kubernetes/record-mismatch.ts';
import { defaultDetectors } from '../../collector/src/detectors/index.ts';
import { createLifecycleHold } from '../../collector/src/model/lifecycle-hold.ts';
import { createNodeLifecycle } from '../../collector/src/model/node-lifecycle.ts';
import { createTestCluster, nodeIpOf, podCidrOf, vtepMacOf, type TestCluster } from '../fixtures/cluster-fixtures.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { waitFor } from '../harness/stack.ts';

const logger = createLogger({ name: 'test', level: 'error' });
let double: KubeApiDouble | undefined;
let informer: NodeInformer | undefined;

afterEach(async () => {
  await informer?.stop();
  await double?.close();
}, 30_000); // HTTPS teardown can be slow on a loaded machine

const recordOf = (name: string, extra: Partial<Parameters<typeof flannelNode>[1]> = {}) =>
  flannelNode(name, { internalIp: nodeIpOf(name), podCidr: podCidrOf(name), vtepMac: vtepMacOf(name), ...extra });

async function setUp(): Promise<{
  cluster: TestCluster;
  double: KubeApiDouble;
  informer: NodeInformer;
  findings: () => { id: string; severity: string; summary: string; evidence: string[] }[];
}> {
  const cluster = createTestCluster();
  double = await startKubeApiDouble();
  for (const name of cluster.names) double.upsertNode(recordOf(name));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(double.kubeconfigPath);
  informer = createNodeInformer({ kubeConfig, logger, now: cluster.clock.now, minBackoffMs: 100, maxBackoffMs: 400 });
  const api = informer;
  const lifecycle = createNodeLifecycle({
    model: cluster.model,
    logger,
    startedMs: cluster.clock.now(),
    startupWindowMs: 60_000,
    convergeGraceMs: 60_000,
    departingWindowMs: 20_000,
    api: { deleted: api.deleted, isDeleting: (name) => api.records.get(name)?.deleting ?? false },
  });
  const hold = createLifecycleHold({ model: cluster.model, lifecycle });
  const detectors = hold.detectors([
    ...defaultDetectors().map((d) => linkAgentMissingToNodeState(d, api.records)),
    createRecordMismatchDetector({ records: api.records }),
    createNeverConnectedDetector({ records: api.records, status: () => api.status, graceMs: 60_000 }),
  ]);
  informer.start();
  await waitFor('the Node list', async () => api.records.size === 4);
  const findings = () => {
    const snapshot = hold.model.snapshot();
    return detectors.flatMap((d) => d.detect(snapshot)).sort((a, b) => (a.id < b.id ? -1 : 1));
  };
  return { cluster, double, informer, findings };
}

const heartbeats = (cluster: TestCluster, names: string[]) => names.forEach((n) => cluster.model.agentHeartbeat(cluster.key(n)));

describe('the Kubernetes API as the source of truth', () => {
  it('a Node deleted in the API leaves every peer set as soon as its agent is gone, without waiting for peers', async () => {
    const { cluster, double, findings } = await setUp();
    expect(findings()).toEqual([]);
    double.deleteNode('node-4');
    await waitFor('the deletion', async () => informer!.deleted.has('node-4'));
    // Its agent still connected: held, no finding.
    expect(findings()).toEqual([]);
    expect(cluster.model.snapshot().nodes.map((n) => n.name)).toContain('node-4');
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    expect(findings()).toEqual([]);
    expect(cluster.model.snapshot().nodes.map((n) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(cluster.model.snapshot().departed?.[0]).toMatchObject({
      name: 'node-4',
      reason: 'its Node was deleted from the Kubernetes API',
    });
    expect(cluster.model.peerSetFor(cluster.key('node-1')).peers.map((p) => p.nodeName)).toEqual(['node-2', 'node-3']);
  });

  it('AgentMissing on a NotReady, cordoned Node is a warning that says so', async () => {
    const { cluster, double, findings } = await setUp();
    double.upsertNode(recordOf('node-3', { ready: false, unschedulable: true }));
    await waitFor('NotReady', async () => informer!.records.get('node-3')?.ready === false);
    cluster.model.agentDisconnected(cluster.key('node-3'), 'conn-node-3');
    cluster.clock.advance(20_001);
    heartbeats(cluster, ['node-1', 'node-2', 'node-4']);
    const [finding, ...rest] = findings();
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ id: 'AgentMissing:node-3', severity: 'warning' });
    expect(finding!.summary).toMatch(/the Node is NotReady/);
    expect(finding!.evidence.join('\n')).toMatch(/KubeletNotReady[\s\S]*cordoned/);
  });

  it('a Node whose agent never connects is AgentMissing "never connected" after the grace', async () => {
    const { cluster, double, findings } = await setUp();
    double.upsertNode(flannelNode('node-9', { internalIp: '192.0.2.19', podCidr: '198.18.9.0/24', vtepMac: '0a:58:c6:12:09:00' }));
    await waitFor('node-9', async () => informer!.records.has('node-9'));
    expect(findings()).toEqual([]);
    cluster.clock.advance(60_000);
    heartbeats(cluster, cluster.names);
    const found = findings();
    expect(found.map((f) => f.id)).toEqual(['AgentMissing:node-9']);
    expect(found[0]!.summary).toBe("node-9's netsentry host agent never connected");
  });

  it('names the disagreement between the annotations and the node, with both values', async () => {
    const { double, findings } = await setUp();
    double.upsertNode(recordOf('node-2', { vtepMac: '0a:58:c6:12:99:99', publicIp: '192.0.2.99' }));
    await waitFor('the new annotations', async () => informer!.records.get('node-2')?.flannelVtepMac === '0a:58:c6:12:99:99');
    const found = findings();
    expect(found.map((f) => f.id)).toEqual(['NodeRecordMismatch:node-2']);
    const evidence = found[0]!.evidence.join('\n');
    expect(evidence).toContain('annotated 0a:58:c6:12:99:99');
    expect(evidence).toContain(`has ${vtepMacOf('node-2')}`);
    expect(evidence).toContain(`annotated 192.0.2.99`);
    expect(evidence).toContain(`underlay address is ${nodeIpOf('node-2')}`);
  });

  it('keeps every node while the API is unreachable', async () => {
    const { cluster, double, findings } = await setUp();
    double.setAvailable(false);
    await waitFor('unreachable', async () => !informer!.status.reachable, 15_000);
    cluster.clock.advance(120_000);
    heartbeats(cluster, cluster.names);
    expect(informer!.records.size).toBe(4);
    expect(findings()).toEqual([]);
    expect(cluster.model.snapshot().nodes).toHaveLength(4);
  });
});
