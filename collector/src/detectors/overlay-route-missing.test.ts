import { describe, expect, it } from 'vitest';
import { OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createTestCluster, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';
import { defaultDetectorConfig } from './finding-candidate.ts';
import { detectOverlayRouteMissing } from './overlay-route-missing.ts';

const config = defaultDetectorConfig;

describe('OverlayRouteMissing', () => {
  it('finds nothing in a healthy cluster', () => {
    expect(detectOverlayRouteMissing(createTestCluster().model.snapshot(), config)).toEqual([]);
  });

  it('names the one broken node once when it lost its chain to all 3 peers (seed 002)', () => {
    const cluster = createTestCluster();
    cluster.reportMissing('node-2', ['node-1', 'node-3', 'node-4']);
    const findings = detectOverlayRouteMissing(cluster.model.snapshot(), config);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding).toMatchObject({
      id: 'OverlayRouteMissing:node-2',
      kind: 'OverlayRouteMissing',
      severity: 'critical',
      nodes: ['node-2'],
      explains: ['NodeIsolated:node-2', 'DnsFailure:node-2'],
    });
    expect(finding!.peer).toBeUndefined();
    expect(finding!.summary).toBe('node-2 is missing overlay routes to 3 of 3 peers (route, neighbor, FDB)');
    expect(finding!.evidence).toHaveLength(3);
    expect(finding!.evidence[2]).toBe(
      'node-4: route missing (expected 198.18.4.0/24 via 198.18.4.0 dev flannel.1 onlink); neighbor missing (expected 198.18.4.0 dev flannel.1 lladdr 0a:58:c6:12:04:00 PERMANENT); FDB missing (expected 0a:58:c6:12:04:00 dev flannel.1 dst 192.0.2.14 self permanent)',
    );
    const remediation = finding!.remediation.join('\n');
    expect(remediation).toContain('kubectl -n kube-flannel get pods -o wide --field-selector spec.nodeName=node-2');
    expect(remediation).toContain('ip route show dev flannel.1; ip neigh show dev flannel.1; bridge fdb show dev flannel.1');
    expect(remediation).toMatch(/delete pod/);
  });

  it('names the peer and the wrong part when one FDB entry points elsewhere', () => {
    const cluster = createTestCluster();
    cluster.model.agentReport(
      cluster.key('node-3'),
      nodeReport({
        peersChecked: 3,
        problems: [
          {
            peer: 'node-1',
            parts: [
              {
                part: OverlayPart.FDB,
                problem: Problem.WRONG_DESTINATION,
                expected: '0a:58:c6:12:01:00 dev flannel.1 dst 192.0.2.11 self permanent',
                actual: '0a:58:c6:12:01:00 dev flannel.1 dst 192.0.2.99 self permanent',
              },
            ],
          },
        ],
      }),
    );
    const [finding] = detectOverlayRouteMissing(cluster.model.snapshot(), config);
    expect(finding).toMatchObject({ id: 'OverlayRouteMissing:node-3', nodes: ['node-3'], peer: 'node-1' });
    expect(finding!.summary).toBe('node-3 has wrong overlay entries toward node-1 (1 of 3 peers: FDB)');
    expect(finding!.evidence).toEqual([
      'node-1: FDB wrong destination: expected 0a:58:c6:12:01:00 dev flannel.1 dst 192.0.2.11 self permanent, found 0a:58:c6:12:01:00 dev flannel.1 dst 192.0.2.99 self permanent',
    ]);
  });

  it('ignores the stale report of a disconnected agent (AgentMissing covers that node)', () => {
    const cluster = createTestCluster();
    cluster.reportMissing('node-2', ['node-1']);
    cluster.model.agentDisconnected(cluster.key('node-2'), 'conn-node-2');
    expect(detectOverlayRouteMissing(cluster.model.snapshot(), config)).toEqual([]);
  });

  it('caps the evidence on a large cluster', () => {
    const cluster = createTestCluster({ nodes: 40 });
    cluster.reportMissing('node-1', cluster.names.slice(1));
    const [finding] = detectOverlayRouteMissing(cluster.model.snapshot(), config);
    expect(finding!.summary).toContain('39 of 39 peers');
    expect(finding!.evidence).toHaveLength(21);
    expect(finding!.evidence[20]).toMatch(/and 19 more peers/);
  });
});
