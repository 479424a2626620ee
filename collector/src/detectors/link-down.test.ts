import { describe, expect, it } from 'vitest';
import { createTestCluster, healthyLinks, missingChain, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';
import { defaultDetectorConfig } from './finding-candidate.ts';
import { detectLinkDown } from './link-down.ts';

const withLinks = (change: (links: ReturnType<typeof healthyLinks>) => void) => {
  const links = healthyLinks();
  change(links);
  return links;
};

describe('LinkDown', () => {
  it('finds nothing in a healthy cluster', () => {
    expect(detectLinkDown(createTestCluster().model.snapshot(), defaultDetectorConfig)).toEqual([]);
  });

  it("reports a missing overlay device and explains the node's OverlayRouteMissing", () => {
    const cluster = createTestCluster();
    const links = withLinks((l) => Object.assign(l[0]!, { present: false, up: false, operState: '' }));
    cluster.model.agentReport(
      cluster.key('node-2'),
      nodeReport({ peersChecked: 3, links, problems: ['node-1', 'node-3', 'node-4'].map((peer) => ({ peer, parts: missingChain(peer) })) }),
    );
    const findings = detectLinkDown(cluster.model.snapshot(), defaultDetectorConfig);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      id: 'LinkDown:node-2',
      severity: 'critical',
      nodes: ['node-2'],
      explains: ['OverlayRouteMissing:node-2', 'NodeIsolated:node-2', 'DnsFailure:node-2'],
    });
    expect(findings[0]!.summary).toBe('node-2: overlay device flannel.1 is not present');
    expect(findings[0]!.remediation.join('\n')).toMatch(/kube-flannel/);
  });

  it("reports a pod bridge set down, explaining the node's probe symptoms but not overlay routes", () => {
    const cluster = createTestCluster();
    const links = withLinks((l) => Object.assign(l[1]!, { up: false, operState: 'DOWN' }));
    cluster.model.agentReport(cluster.key('node-3'), nodeReport({ peersChecked: 3, links }));
    const [finding] = detectLinkDown(cluster.model.snapshot(), defaultDetectorConfig);
    expect(finding).toMatchObject({ id: 'LinkDown:node-3', explains: ['NodeIsolated:node-3', 'DnsFailure:node-3'] });
    expect(finding!.summary).toBe('node-3: pod bridge cni0 is down (admin down, oper state DOWN)');
    expect(finding!.remediation).toContain('If something set it down by hand: ip link set cni0 up.');
  });

  it('does not flag an underlay link or an empty bridge whose oper state is DOWN but admin up', () => {
    const cluster = createTestCluster();
    const links = withLinks((l) => {
      Object.assign(l[1]!, { operState: 'DOWN' });
      Object.assign(l[2]!, { up: false });
    });
    cluster.model.agentReport(cluster.key('node-1'), nodeReport({ peersChecked: 3, links }));
    expect(detectLinkDown(cluster.model.snapshot(), defaultDetectorConfig)).toEqual([]);
  });
});
