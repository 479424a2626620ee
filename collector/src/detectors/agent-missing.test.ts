import { describe, expect, it } from 'vitest';
import { createTestCluster, hostHello, startMs } from '../../../test/fixtures/cluster-fixtures.ts';
import { createIngestLag, type StreamClock } from '../ingest/ingest-lag.ts';
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

  it('does not blame connected agents whose heartbeats wait unread in a busy collector, and still finds a silent one', () => {
    const cluster = createTestCluster({ nodes: 4 });
    const lag = createIngestLag({ now: cluster.clock.now, recomputeMs: 0 });
    const lagging = { ...config, ingestLagMs: lag.currentMs };
    const clocks = new Map<string, StreamClock>(cluster.names.map((name) => [name, {}]));
    const beat = (name: string, sentAtMs: number) => {
      lag.heartbeat(clocks.get(name)!, sentAtMs);
      cluster.model.agentHeartbeat(cluster.key(name));
    };
    for (const name of cluster.names) beat(name, cluster.clock.now());
    // The collector stalls for 30 s; then it reads the heartbeats agents sent 5 s after the
    // last ones, 25 s late. node-4 has really gone quiet.
    cluster.clock.advance(30_000);
    for (const name of ['node-1', 'node-2', 'node-3']) beat(name, cluster.clock.now() - 25_000);
    cluster.clock.advance(10_000);
    // Judged by read time alone node-4 is missing (40 s quiet); with the collector's 25 s read
    // lag counted, not before 20 + 25 s, and the three that talk are fine either way.
    expect(detectAgentMissing(cluster.model.snapshot(), config).map((f) => f.id)).toEqual(['AgentMissing:node-4']);
    expect(detectAgentMissing(cluster.model.snapshot(), lagging)).toEqual([]);
    cluster.clock.advance(5_001);
    const findings = detectAgentMissing(cluster.model.snapshot(), lagging);
    expect(findings.map((f) => f.id)).toEqual(['AgentMissing:node-4']);
    expect(findings[0]!.evidence).toContain(
      'threshold: 45 s without a heartbeat or report (including 25.0 s the collector is reading heartbeats late)',
    );
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
