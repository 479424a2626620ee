import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { LinkCountersSchema, LinkRole } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createTestCluster, nodeReport } from '../../../test/fixtures/cluster-fixtures.ts';
import { defaultDetectorConfig } from './finding-candidate.ts';
import { detectLinkErrors } from './link-errors.ts';

const counters = (perSecond: Partial<Record<'rx' | 'txDrop', number>>, intervalSeconds = 10) => [
  create(LinkCountersSchema, {
    name: 'eth0',
    role: LinkRole.UNDERLAY,
    rxErrors: 1000n,
    rxErrorsPerSecond: perSecond.rx ?? 0,
    txDroppedPerSecond: perSecond.txDrop ?? 0,
    intervalSeconds,
  }),
  create(LinkCountersSchema, { name: 'cni0', role: LinkRole.POD_BRIDGE, intervalSeconds }),
];

function cluster(rates: Record<string, Partial<Record<'rx' | 'txDrop', number>>>, intervalSeconds = 10) {
  const c = createTestCluster();
  for (const name of c.names) {
    const report = nodeReport({ peersChecked: 3 });
    report.linkCounters = counters(rates[name] ?? {}, intervalSeconds);
    c.model.agentReport(c.key(name), report);
  }
  return c.model.snapshot();
}

describe('LinkErrors', () => {
  it('finds nothing while every node is quiet (cumulative totals alone do not count)', () => {
    expect(detectLinkErrors(cluster({}), defaultDetectorConfig)).toEqual([]);
  });

  it('names the one node whose underlay errors climb while its peers stay quiet', () => {
    const [finding, ...rest] = detectLinkErrors(cluster({ 'node-3': { rx: 25 } }), defaultDetectorConfig);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ id: 'LinkErrors:node-3', nodes: ['node-3'], severity: 'warning' });
    expect(finding!.summary).toBe('node-3: error/drop counters climb on underlay eth0 while the same links on its peers stay quiet');
    expect(finding!.evidence[0]).toMatch(/rx errors 25\.0\/s/);
  });

  it("a rise on many nodes at once is not one node's problem; below 1/s or over a too short interval is nothing", () => {
    expect(detectLinkErrors(cluster({ 'node-1': { rx: 5 }, 'node-2': { txDrop: 5 } }), defaultDetectorConfig)).toEqual([]);
    expect(detectLinkErrors(cluster({ 'node-2': { rx: 0.5 } }), defaultDetectorConfig)).toEqual([]);
    expect(detectLinkErrors(cluster({ 'node-2': { rx: 50 } }, 1), defaultDetectorConfig)).toEqual([]);
  });
});
