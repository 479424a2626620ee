import { describe, expect, it } from 'vitest';
import { createTestCluster, healthyLinks, hostHello, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';
import { createNodeMtuCache, nodeMtus } from './mtu-mismatch.ts';

describe('node MTUs kept per report', () => {
  it('answers as nodeMtus does, once per report and hello, and follows a new report or hello', () => {
    const cluster = createTestCluster({ nodes: 2 });
    const cache = createNodeMtuCache();
    const node = () => cluster.model.snapshot().nodes.find((n) => n.name === 'node-2')!;
    cluster.model.agentReport(cluster.key('node-2'), nodeReport({ peersChecked: 1 }));
    const first = cache.of(node());
    expect(first).toEqual(nodeMtus(node()));
    expect(cache.of(node())).toBe(first);

    const links = healthyLinks();
    links[0]!.mtu = 1400;
    cluster.model.agentReport(cluster.key('node-2'), nodeReport({ peersChecked: 1, links }));
    const second = cache.of(node());
    expect(second.overlay).toBe(1400);

    // A new hello beside the same report (the hello fills in what the report lacks): asked again.
    cluster.model.agentConnected(hostHello('node-2'), { connectionId: 'conn-2b', peerAddress: '192.0.2.12:40000' });
    expect(node().hostAgent?.report).toBeDefined();
    expect(cache.of(node())).not.toBe(second);
    expect(cache.of(node())).toEqual(nodeMtus(node()));
  });
});
