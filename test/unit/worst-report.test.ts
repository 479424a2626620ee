// The worst real overlay fault — every route, neighbor and FDB entry missing toward 4,999
// peers (seed 002 at 5,000 nodes) — built by the agent's real report collector, encoded
// as it goes on the wire, must fit under the send limit, pass the collector's validation,
// and open the finding with the full count.
import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ConnectRequestSchema, PeerSchema } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayPart, Problem } from '../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../shared/src/logger.ts';
import { decodeRequest, encodeRequest, maxMessageBytes } from '../../shared/src/wire.ts';
import { createNodeReportCollector } from '../../agent/src/node-state/collect-node-report.ts';
import { getOverlayBackend } from '../../agent/src/overlay/registry.ts';
import { capturedVxlanInput } from '../../agent/src/overlay/test-fixtures.ts';
import { parseLinks } from '../../agent/src/kernel/parse-links.ts';
import { loadTestdata } from '../../agent/src/kernel/testdata/load.ts';
import { createClusterModel } from '../../collector/src/model/cluster-model.ts';
import { hostHello } from '../fixtures/cluster-fixtures.ts';
import { detectOverlayRouteMissing } from '../../collector/src/detectors/overlay-route-missing.ts';
import { defaultDetectorConfig } from '../../collector/src/detectors/finding-candidate.ts';
import { validateNodeReport } from '../../collector/src/ingest/validate-report.ts';
import { nodeView } from '../../collector/src/http/node-view.ts';

const peerCount = 4_999;
const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
// Peer j: pod CIDR 198.18.64.0/28 + 16·j, underlay 192.0.2.20–219 (nothing is sent anywhere).
const peers = Array.from({ length: peerCount }, (_, j) =>
  create(PeerSchema, {
    nodeName: `node-${String(j + 2).padStart(4, '0')}`,
    network: Network.HOST,
    nodeIp: `192.0.2.${20 + (j % 200)}`,
    podCidrs: [`${ip(((198 << 24) + (18 << 16) + (64 << 8) + 16 * j) >>> 0)}/28`],
    vtepMac: `0a:58:00:00:${(j >> 8).toString(16).padStart(2, '0')}:${(j & 255).toString(16).padStart(2, '0')}`,
    probeAddress: `192.0.2.${20 + (j % 200)}`,
    probePort: 7946,
  }),
);

describe('the worst overlay fault at 5,000 nodes', () => {
  it('fits one message, passes validation and opens OverlayRouteMissing with "4,999 of 4,999 peers"', async () => {
    const captured = capturedVxlanInput();
    const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
    const collector = createNodeReportCollector({
      // The CNI crashed: the device is there, every route, neighbor and FDB entry is gone.
      reader: {
        links: async () => links,
        routes: async () => captured.routes.filter((r) => r.dev !== 'flannel.1'),
        neighbors: async () => [],
        fdb: async () => [],
        conntrack: async () => ({ available: true, entries: 10, maxEntries: 100, insertFailedTotal: 0, dropTotal: 0, earlyDropTotal: 0 }),
        sysctls: async () => ({ ipForward: true, rpFilter: {}, unavailable: [] }),
      },
      backend: getOverlayBackend('flannel-vxlan'),
      self: captured.self,
      logger: createSilentLogger(),
    });
    const report = await collector.collect(peers, 1n, 'periodic');
    const bytes = encodeRequest(create(ConnectRequestSchema, { payload: { case: 'nodeReport', value: report } }));
    // Before the bound: 1.35 MB, over the 1 MiB limit. Now the first 100 peers plus counts.
    expect(bytes.length).toBeLessThan(maxMessageBytes / 16);
    const received = decodeRequest(bytes);
    expect(received.payload.case).toBe('nodeReport');
    const wire = received.payload.value as typeof report;
    expect(validateNodeReport(wire)).toBeUndefined();
    expect(wire.overlay?.partCounts.map((c) => [c.part, c.problem, c.peers])).toEqual([
      [OverlayPart.ROUTE, Problem.MISSING, peerCount],
      [OverlayPart.NEIGHBOR, Problem.MISSING, peerCount],
      [OverlayPart.FDB, Problem.MISSING, peerCount],
    ]);

    const model = createClusterModel({ now: () => 1_000, nodeExpiryMs: 600_000 });
    model.agentConnected(hostHello('node-0001'), { connectionId: 'c', peerAddress: '192.0.2.10:40000' });
    model.agentReport({ node: 'node-0001', network: 'host' }, wire);
    const [finding] = detectOverlayRouteMissing(model.snapshot(), defaultDetectorConfig);
    expect(finding?.summary).toBe('node-0001 is missing overlay routes to 4,999 of 4,999 peers (route, neighbor, FDB)');
    expect(finding?.evidence[0]).toBe(
      'per part: route missing toward 4999 peers; neighbor missing toward 4999 peers; FDB missing toward 4999 peers',
    );
    expect(finding?.evidence[1]).toMatch(/^node-0002: route missing/);
    expect(finding?.evidence.at(-1)).toMatch(/and 4,979 more peers/);
    expect(nodeView(model.snapshot().nodes[0]!).hostAgent?.overlayCheck).toMatchObject({ peersWithProblems: peerCount });
  });
});
