// The collector as main.ts wires it, on a fake clock: time-driven behaviour (findings passes,
// AgentMissing, node expiry, resolved retention) checked by moving the clock, not by waiting.
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiFindingsAnswer } from '../../shared/src/api-types.ts';
import { createTestCollector, type TestCollector } from '../../test/harness/test-collector.ts';

const open: TestCollector[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function collector(args: string[] = [], nodes = 4): TestCollector {
  const test = createTestCollector({ args, nodes });
  open.push(test);
  return test;
}

const kinds = async (test: TestCollector, state: 'open' | 'all' = 'open') =>
  (await test.getJson<ApiFindingsAnswer>(`/api/v1/findings?state=${state}`)).findings.map((f) => `${f.kind} ${f.state}`);

describe('createCollector on a fake clock', () => {
  it('runs a findings pass on its clock after a model change, not on its own', async () => {
    const test = collector();
    expect(await kinds(test)).toEqual([]);
    test.cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    // The change is in the model; the pass waits for the debounce (25 ms, stretched to 3× the
    // last pass's duration), which runs on the collector's clock: until it moves, no pass.
    expect(await kinds(test)).toEqual([]);
    test.clock.advance(1_000);
    expect(await kinds(test)).toEqual(['OverlayRouteMissing open']);
    test.cluster.reportHealthy('node-2');
    expect(await kinds(test)).toEqual(['OverlayRouteMissing open']);
    test.clock.advance(1_000);
    expect(await kinds(test)).toEqual([]);
    expect(await kinds(test, 'all')).toEqual(['OverlayRouteMissing resolved']);
  });

  it('opens AgentMissing for a silent agent on the tick, after --agent-missing-after, not before', async () => {
    const test = collector(['--agent-missing-after', '20s', '--heartbeat-interval', '5s']);
    const heartbeat = (nodes: string[]) => nodes.forEach((n) => test.cluster.model.agentHeartbeat(test.cluster.key(n)));
    // node-4 falls silent; the others heartbeat every 5 s.
    for (let second = 5; second <= 20; second += 5) {
      test.clock.advance(5_000);
      heartbeat(['node-1', 'node-2', 'node-3']);
      expect(await kinds(test), `${second} s`).toEqual([]);
    }
    test.clock.advance(1_001); // the next tick after the threshold
    heartbeat(['node-1', 'node-2', 'node-3']);
    const findings = (await test.getJson<ApiFindingsAnswer>('/api/v1/findings')).findings;
    expect(findings.map((f) => [f.kind, f.nodes])).toEqual([['AgentMissing', ['node-4']]]);
    heartbeat(['node-4']);
    test.clock.advance(1_000);
    expect(await kinds(test)).toEqual([]);
  });

  it('forgets a silent node after --node-expiry on its expiry timer', async () => {
    const test = collector(['--node-expiry', '1m'], 3);
    const names = async () => (await test.getJson<{ nodes: { name: string }[] }>('/api/v1/nodes')).nodes.map((n) => n.name);
    expect(await names()).toEqual(['node-1', 'node-2', 'node-3']);
    test.cluster.model.agentDisconnected(test.cluster.key('node-3'), 'conn-node-3');
    for (let seconds = 10; seconds <= 60; seconds += 10) {
      test.clock.advance(10_000);
      ['node-1', 'node-2'].forEach((n) => test.cluster.model.agentHeartbeat(test.cluster.key(n)));
    }
    expect(await names()).toContain('node-3');
    test.clock.advance(10_000);
    expect(await names()).toEqual(['node-1', 'node-2']);
  });

  it('stops its timers on shutdown', async () => {
    const test = createTestCollector({ nodes: 2 });
    expect(test.clock.pending()).toBeGreaterThan(0);
    await test.close();
    expect(test.clock.pending()).toBe(0);
  });
});
