// Write-back through the real client into the API double: Events on the Node when a root
// cause opens and resolves (symptoms it explains get none), the NetsentryNetworkProblem
// condition with hysteresis, and the per-node rate limit.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../collector/src/findings/finding.ts';
import { createNodeWriteBack, rootCausesByNode } from '../../collector/src/kubernetes/node-write-back.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';

const logger = createLogger({ name: 'test', level: 'error' });
let double: KubeApiDouble | undefined;
afterEach(async () => {
  await double?.close();
}, 30_000); // HTTPS teardown can be slow on a loaded machine

const finding = (kind: string, node: string, extra: Partial<Finding> = {}): Finding => ({
  id: `${kind}:${node}`,
  kind,
  severity: 'critical',
  nodes: [node],
  summary: `${node} ${kind}`,
  evidence: [],
  remediation: [],
  since: new Date(0).toISOString(),
  explains: [],
  state: 'open',
  ...extra,
});

async function setUp(eventsPerMinutePerNode = 6) {
  double = await startKubeApiDouble();
  for (const i of [1, 2])
    double.upsertNode(
      flannelNode(`node-${i}`, { internalIp: `192.0.2.${10 + i}`, podCidr: `198.18.${i}.0/24`, vtepMac: `0a:58:c6:12:0${i}:00` }),
    );
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(double.kubeconfigPath);
  let nowMs = 1_000_000;
  const clock = { now: () => nowMs, advance: (ms: number) => void (nowMs += ms) };
  const writeBack = createNodeWriteBack({
    kubeConfig,
    logger,
    now: clock.now,
    nodeExists: (n) => n === 'node-1' || n === 'node-2',
    hysteresisMs: 30_000,
    eventsPerMinutePerNode,
  });
  return { double, writeBack, clock };
}

describe('write-back to the Node', () => {
  it('root causes only: a symptom explained by another open finding is not one', () => {
    const root = finding('OverlayRouteMissing', 'node-2', { explains: ['NodeIsolated:node-2'] });
    expect([...rootCausesByNode([root, finding('NodeIsolated', 'node-2')]).entries()].map(([n, f]) => [n, f.map((x) => x.id)])).toEqual([
      ['node-2', ['OverlayRouteMissing:node-2']],
    ]);
  });

  it('writes an Event when a root cause opens and resolves, and the condition after the hysteresis, both ways', async () => {
    const { double, writeBack, clock } = await setUp();
    const root = finding('OverlayRouteMissing', 'node-2', { explains: ['NodeIsolated:node-2'] });
    writeBack.update([root, finding('NodeIsolated', 'node-2')]);
    await writeBack.idle();
    expect(double.events.map((e) => e.body as { reason: string; involvedObject: { name: string }; type: string })).toEqual([
      expect.objectContaining({
        reason: 'NetsentryOverlayRouteMissing',
        type: 'Warning',
        involvedObject: expect.objectContaining({ kind: 'Node', name: 'node-2' }),
      }),
    ]);
    expect(double.statusPatches).toEqual([]);
    clock.advance(30_000);
    writeBack.update([root, finding('NodeIsolated', 'node-2')]);
    await writeBack.idle();
    expect(double.statusPatches).toHaveLength(1);
    expect(double.statusPatches[0]!.contentType).toBe('application/strategic-merge-patch+json');
    expect(double.node('node-2')!.status.conditions?.find((c) => c.type === 'NetsentryNetworkProblem')).toMatchObject({
      status: 'True',
      reason: 'OverlayRouteMissing',
    });
    // Repaired: an Event at once, the condition only after it stayed repaired for the hysteresis.
    writeBack.update([]);
    await writeBack.idle();
    expect(double.events.map((e) => (e.body as { reason: string }).reason)).toEqual([
      'NetsentryOverlayRouteMissing',
      'NetsentryOverlayRouteMissingResolved',
    ]);
    expect(double.statusPatches).toHaveLength(1);
    clock.advance(30_000);
    writeBack.update([]);
    await writeBack.idle();
    expect(double.node('node-2')!.status.conditions?.find((c) => c.type === 'NetsentryNetworkProblem')).toMatchObject({
      status: 'False',
      reason: 'NoNetworkProblem',
    });
    // Ready is untouched by the strategic merge on `type`.
    expect(double.node('node-2')!.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('a flapping finding shorter than the hysteresis never changes the condition; Events are rate-limited per node', async () => {
    const { double, writeBack, clock } = await setUp(2);
    for (let i = 0; i < 5; i++) {
      writeBack.update([finding('LinkDown', 'node-1')]);
      clock.advance(5_000);
      writeBack.update([]);
      clock.advance(5_000);
    }
    await writeBack.idle();
    expect(double.statusPatches).toEqual([]);
    // 10 transitions in 50 s; 2 per minute with a burst of 2 → 2 written (plus refills: ≤ 4).
    expect(double.events.length).toBeGreaterThanOrEqual(2);
    expect(double.events.length).toBeLessThanOrEqual(4);
    // Nothing about a node the API does not list.
    writeBack.update([finding('LinkDown', 'node-9')]);
    clock.advance(60_000);
    writeBack.update([finding('LinkDown', 'node-9')]);
    await writeBack.idle();
    expect(double.events.every((e) => (e.body as { involvedObject: { name: string } }).involvedObject.name === 'node-1')).toBe(true);
  });
});
