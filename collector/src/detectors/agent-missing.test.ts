import { describe, expect, it } from 'vitest';
import { createTestCluster, hostHello, startMs } from '../../../test/fixtures/cluster-fixtures.ts';
import { detectAgentMissing } from './agent-missing.ts';

const config = { agentMissingAfterMs: 20_000, heartbeatIntervalMs: 5_000 };
const iso = (ms: number) => new Date(ms).toISOString();

describe('AgentMissing', () => {
  it('finds nothing while every agent talks', () => {
    const cluster = createTestCluster();
    cluster.clock.advance(15_000);
    for (const name of cluster.names) cluster.model.agentHeartbeat(cluster.key(name));
    cluster.clock.advance(15_000);
    expect(detectAgentMissing(cluster.model.snapshot(), config)).toEqual([]);
  });

  it('opens only after the stream has been closed longer than agentMissingAfterMs', () => {
    const cluster = createTestCluster();
    cluster.clock.advance(4_000); // the last heartbeat was 4 s before the stream closed
    cluster.model.agentDisconnected(cluster.key('node-3'), 'conn-node-3');
    cluster.clock.advance(20_000);
    for (const name of ['node-1', 'node-2', 'node-4']) cluster.model.agentHeartbeat(cluster.key(name));
    expect(detectAgentMissing(cluster.model.snapshot(), config)).toEqual([]);
    cluster.clock.advance(1);
    const findings = detectAgentMissing(cluster.model.snapshot(), config);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'AgentMissing:node-3', kind: 'AgentMissing', severity: 'warning', nodes: ['node-3'] });
    expect(findings[0]!.summary).toBe(`node-3's netsentry host agent is disconnected since ${iso(startMs + 4_000)}`);
    expect(findings[0]!.evidence[0]).toBe(
      `stream from 192.0.2.13:40000 closed at ${iso(startMs + 4_000)}; last message at ${iso(startMs)}`,
    );
    expect(findings[0]!.remediation.join('\n')).toContain('kubectl get node node-3');
  });

  it('opens for a connected agent after three missed heartbeats, even with a shorter agentMissingAfterMs', () => {
    const cluster = createTestCluster({ nodes: 2 });
    const short = { agentMissingAfterMs: 3_000, heartbeatIntervalMs: 5_000 };
    cluster.clock.advance(15_000);
    cluster.model.agentHeartbeat(cluster.key('node-1'));
    expect(detectAgentMissing(cluster.model.snapshot(), short)).toEqual([]);
    cluster.clock.advance(1);
    const findings = detectAgentMissing(cluster.model.snapshot(), short);
    expect(findings.map((f) => f.id)).toEqual(['AgentMissing:node-2']);
    expect(findings[0]!.summary).toBe(`node-2's netsentry host agent is connected but silent since ${iso(startMs)}`);
    expect(findings[0]!.evidence).toContain('threshold: 15 s without a heartbeat or report');
  });

  it('closes when the agent is back', () => {
    const cluster = createTestCluster({ nodes: 2 });
    cluster.model.agentDisconnected(cluster.key('node-2'), 'conn-node-2');
    cluster.clock.advance(60_000);
    cluster.model.agentHeartbeat(cluster.key('node-1'));
    expect(detectAgentMissing(cluster.model.snapshot(), config)).toHaveLength(1);
    cluster.model.agentConnected(hostHello('node-2'), { connectionId: 'back', peerAddress: 'x' });
    expect(detectAgentMissing(cluster.model.snapshot(), config)).toEqual([]);
  });
});
