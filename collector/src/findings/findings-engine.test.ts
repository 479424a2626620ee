import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { defaultDetectors } from '../detectors/index.ts';
import type { Detector } from '../detectors/finding-candidate.ts';
import {
  createTestCluster,
  healthyLinks,
  hostHello,
  missingChain,
  nodeReport,
  startMs,
  type TestCluster,
} from '../../../test/fixtures/cluster-fixtures.ts';
import { createFindingsEngine } from './findings-engine.ts';

const minutes = 60_000;

function setup(cluster: TestCluster = createTestCluster(), detectors: Detector[] = defaultDetectors({ agentMissingAfterMs: 20_000 })) {
  const engine = createFindingsEngine({
    model: cluster.model,
    detectors,
    now: cluster.clock.now,
    logger: createSilentLogger(),
    resolvedRetentionMs: 15 * minutes,
  });
  return { cluster, engine };
}

const keepTalking = (cluster: TestCluster, except: string[] = []) => {
  for (const name of cluster.names) if (!except.includes(name)) cluster.model.agentHeartbeat(cluster.key(name));
};

afterEach(() => {
  vi.useRealTimers();
});

describe('findings engine', () => {
  it('has no findings for a healthy cluster', () => {
    const { cluster, engine } = setup();
    const passes = vi.fn();
    engine.onEvaluated(passes);
    engine.evaluate();
    // The pass ran, over every node of a cluster that reports: the empty list means healthy.
    expect(passes).toHaveBeenCalledOnce();
    expect(cluster.model.snapshot().nodes.map((n) => n.hostAgent?.connected)).toEqual(cluster.names.map(() => true));
    expect(engine.list()).toEqual([]);
    expect(engine.list({ state: 'all' })).toEqual([]);
  });

  it('opens one OverlayRouteMissing naming the broken node, then resolves, retains and drops it', () => {
    const { cluster, engine } = setup();
    const changes = vi.fn();
    engine.onChange(changes);
    cluster.clock.advance(1_000);
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    engine.evaluate();
    const open = engine.list();
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({
      id: 'OverlayRouteMissing:node-2',
      nodes: ['node-2'],
      state: 'open',
      since: new Date(startMs + 1_000).toISOString(),
    });
    expect(open[0]!.resolvedAt).toBeUndefined();
    expect(changes).toHaveBeenCalledTimes(1);

    // Evidence updates in place while open; since stays.
    cluster.clock.advance(1_000);
    cluster.reportMissing('node-2', ['node-3']);
    engine.evaluate();
    expect(engine.list()[0]).toMatchObject({ since: new Date(startMs + 1_000).toISOString(), peer: 'node-3' });
    expect(engine.list()[0]!.evidence).toHaveLength(1);
    engine.evaluate();
    expect(changes).toHaveBeenCalledTimes(2);

    cluster.clock.advance(1_000);
    cluster.reportHealthy('node-2');
    engine.evaluate();
    expect(engine.list()).toEqual([]);
    expect(engine.list({ state: 'all' })).toEqual([
      expect.objectContaining({ id: 'OverlayRouteMissing:node-2', state: 'resolved', resolvedAt: new Date(startMs + 3_000).toISOString() }),
    ]);

    cluster.clock.advance(15 * minutes);
    keepTalking(cluster);
    engine.evaluate();
    expect(engine.list({ state: 'all' })).toHaveLength(1);
    cluster.clock.advance(1);
    keepTalking(cluster);
    engine.evaluate();
    expect(engine.list({ state: 'all' })).toEqual([]);
  });

  it('re-opens a resolved finding with a new since', () => {
    const { cluster, engine } = setup();
    cluster.reportMissing('node-2', ['node-1']);
    engine.evaluate();
    cluster.reportHealthy('node-2');
    engine.evaluate();
    cluster.clock.advance(5_000);
    cluster.reportMissing('node-2', ['node-1']);
    engine.evaluate();
    const all = engine.list({ state: 'all' });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ state: 'open', since: new Date(startMs + 5_000).toISOString() });
    expect(all[0]!.resolvedAt).toBeUndefined();
  });

  it('opens AgentMissing only after agentMissingAfterMs, on the tick, and resolves on reconnect', () => {
    vi.useFakeTimers();
    const { cluster, engine } = setup();
    engine.start();
    cluster.model.agentDisconnected(cluster.key('node-4'), 'conn-node-4');
    for (let second = 1; second <= 20; second++) {
      cluster.clock.advance(1_000);
      keepTalking(cluster, ['node-4']);
      vi.advanceTimersByTime(1_000);
    }
    expect(engine.list()).toEqual([]);
    cluster.clock.advance(1_000);
    keepTalking(cluster, ['node-4']);
    vi.advanceTimersByTime(1_000);
    expect(engine.list().map((f) => f.id)).toEqual(['AgentMissing:node-4']);
    cluster.model.agentConnected(hostHello('node-4'), { connectionId: 'back', peerAddress: 'x' });
    vi.advanceTimersByTime(25);
    expect(engine.list()).toEqual([]);
    engine.stop();
  });

  it('re-evaluates on model changes, debounced into one run', () => {
    vi.useFakeTimers();
    const { cluster, engine } = setup();
    const evaluated = vi.fn();
    engine.onEvaluated(evaluated);
    engine.start();
    expect(evaluated).toHaveBeenCalledTimes(1);
    cluster.reportMissing('node-2', ['node-1']);
    cluster.reportMissing('node-2', ['node-1', 'node-3']);
    expect(engine.list()).toEqual([]);
    vi.advanceTimersByTime(25);
    expect(evaluated).toHaveBeenCalledTimes(2);
    expect(engine.list()[0]!.evidence).toHaveLength(2);
    engine.stop();
    cluster.reportHealthy('node-2');
    vi.advanceTimersByTime(5_000);
    expect(evaluated).toHaveBeenCalledTimes(2);
  });

  it('lists the LinkDown that explains an OverlayRouteMissing before it, even when it opened later', () => {
    const { cluster, engine } = setup();
    const peers = ['node-1', 'node-3', 'node-4'];
    cluster.reportMissing('node-2', peers);
    cluster.reportMissing('node-3', ['node-1']);
    engine.evaluate();
    cluster.clock.advance(1_000);
    const links = healthyLinks();
    Object.assign(links[0]!, { present: false, up: false });
    cluster.model.agentReport(
      cluster.key('node-2'),
      nodeReport({ peersChecked: 3, links, problems: peers.map((peer) => ({ peer, parts: missingChain(peer) })) }),
    );
    engine.evaluate();
    const open = engine.list();
    expect(open.map((f) => f.id)).toEqual(['LinkDown:node-2', 'OverlayRouteMissing:node-2', 'OverlayRouteMissing:node-3']);
    expect(open[0]!.explains).toEqual(['OverlayRouteMissing:node-2']);
  });

  it('orders by severity, then since', () => {
    const { cluster, engine } = setup();
    cluster.model.agentDisconnected(cluster.key('node-1'), 'conn-node-1');
    cluster.clock.advance(30_000);
    keepTalking(cluster, ['node-1']);
    engine.evaluate();
    cluster.clock.advance(1_000);
    cluster.reportMissing('node-4', ['node-2']);
    engine.evaluate();
    cluster.clock.advance(1_000);
    cluster.reportMissing('node-3', ['node-4']);
    engine.evaluate();
    expect(engine.list().map((f) => f.id)).toEqual(['OverlayRouteMissing:node-4', 'OverlayRouteMissing:node-3', 'AgentMissing:node-1']);
  });

  it('keeps the findings of a detector that throws instead of resolving them', () => {
    let fail = false;
    const [, overlay] = defaultDetectors();
    const flaky: Detector = {
      kind: overlay!.kind,
      detect: (s) =>
        fail
          ? (() => {
              throw new Error('bug');
            })()
          : overlay!.detect(s),
    };
    const { cluster, engine } = setup(createTestCluster(), [flaky]);
    cluster.reportMissing('node-2', ['node-1']);
    engine.evaluate();
    fail = true;
    engine.evaluate();
    expect(engine.list().map((f) => f.id)).toEqual(['OverlayRouteMissing:node-2']);
  });

  it('keeps at most --max-findings-per-node findings naming one node, and counts each one left out once', () => {
    let count = 300;
    const flood: Detector = {
      kind: 'AsymmetricReachability',
      detect: () =>
        Array.from({ length: count }, (_, i) => ({
          id: `AsymmetricReachability:node-1:peer-${i}`,
          kind: 'AsymmetricReachability',
          severity: 'warning' as const,
          nodes: ['node-1', `peer-${i}`],
          summary: '',
          evidence: [],
          remediation: [],
          explains: [],
        })),
    };
    const cluster = createTestCluster();
    const dropped = vi.fn();
    const engine = createFindingsEngine({
      model: cluster.model,
      detectors: [flood],
      now: cluster.clock.now,
      logger: createSilentLogger(),
      maxFindingsPerNode: 100,
      findingsDropped: dropped,
    });
    engine.evaluate();
    expect(engine.list()).toHaveLength(100);
    expect(dropped).toHaveBeenLastCalledWith('node-1', 200, 200);
    engine.evaluate();
    // The same 200 still left out: reported, not counted again; the 100 open ones stay open.
    expect(dropped).toHaveBeenLastCalledWith('node-1', 200, 0);
    expect(engine.list().map((f) => f.id)).toContain('AsymmetricReachability:node-1:peer-0');
    count = 50;
    dropped.mockClear();
    engine.evaluate();
    expect(engine.list()).toHaveLength(50);
    expect(dropped).not.toHaveBeenCalled();
  });
});
