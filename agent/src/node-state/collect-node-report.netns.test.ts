// Real kernel: a throwaway namespace programmed the way flannel does it, read through the
// real runner and parsers, verified, then broken part by part.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { buildFlannelNode, canCreateNetns, createCaptureNetns, type CaptureNetns } from '../../../test/fixtures/capture-netns.ts';
import { createCommandRunner } from '../kernel/command-runner.ts';
import { createKernelReader } from '../kernel/kernel-reader.ts';
import { getOverlayBackend } from '../overlay/registry.ts';
import { describeSelf } from '../overlay/self-description.ts';
import { peer } from '../overlay/test-fixtures.ts';
import { createNodeReportCollector, type NodeReportCollector } from './collect-node-report.ts';

describe.skipIf(!canCreateNetns())('node report in a flannel-like netns', () => {
  let ns: CaptureNetns;
  let collector: NodeReportCollector;
  const peers = [peer(2), peer(3), peer(4)];

  beforeAll(async () => {
    ns = createCaptureNetns();
    try {
      buildFlannelNode(ns, 3);
    } catch (err) {
      ns.destroy();
      throw err;
    }
    // procfs is read from the test's own namespace; only iproute2 runs inside ns.
    const reader = createKernelReader({ runner: createCommandRunner({ timeoutMs: 5000, prefix: ns.prefix }) });
    const self = describeSelf(await reader.links(), await reader.routes());
    collector = createNodeReportCollector({ reader, backend: getOverlayBackend(self.overlay.kind), self, logger: createSilentLogger() });
  });
  afterAll(() => ns?.destroy());

  it('verifies 3 healthy peers', async () => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const report = await collector.collect(peers, 1n, 'periodic');
      runs.push(performance.now() - t0);
      expect(report.overlay).toMatchObject({ peersChecked: 3, peersOk: 3, problems: [] });
      expect(report.links.map((l) => `${l.name}:${l.present}`)).toEqual(['flannel.1:true', 'cni0:true', 'eth0:true']);
    }
    console.info(`collect() for 3 peers in netns: ${runs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  });

  it('one `ip -batch` run reads the same link, route and neighbor tables as the three dumps', async () => {
    const reader = createKernelReader({ runner: createCommandRunner({ timeoutMs: 5000, prefix: ns.prefix }) });
    const tables = await reader.tables!();
    const [links, routes, neighbors] = await Promise.all([reader.links(), reader.routes(), reader.neighbors()]);
    // Compared on what does not change between two reads (link state, dynamic neighbors may).
    const link = (l: (typeof links)[number]) =>
      `${l.name} ${l.kind} ${l.mtu} ${l.mac} ${l.addresses.map((a) => a.address).join(',')} ${l.vxlan?.vni ?? ''}`;
    expect(tables.links.map(link)).toEqual(links.map(link));
    const permanent = (n: (typeof neighbors)[number]) => (n.states.includes('PERMANENT') ? [`${n.dst} ${n.dev} ${n.lladdr}`] : []);
    expect(tables.neighbors.flatMap(permanent)).toEqual(neighbors.flatMap(permanent));
    expect(tables.neighbors.flatMap(permanent)).toHaveLength(3);
    // -d is global in batch mode: the same routes, with protocol and scope always printed.
    const bare = (r: (typeof routes)[number]) => `${r.table} ${r.type} ${r.dst} ${r.gateway ?? ''} ${r.dev ?? ''} ${r.onlink}`;
    expect(tables.routes.map(bare)).toEqual(routes.map(bare));
    expect(tables.routes.filter((r) => r.table === 'main' && r.dev === 'flannel.1' && r.onlink)).toHaveLength(3);
  });

  it('names the broken part after real deletions', async () => {
    ns.exec('ip route del 198.18.2.0/24');
    ns.exec('ip neigh replace 198.18.3.0 lladdr 0a:58:c6:12:33:00 dev flannel.1 nud permanent');
    ns.exec('bridge fdb del 0a:58:c6:12:04:00 dev flannel.1 dst 192.0.2.14 self');
    const report = await collector.collect(peers, 2n, 'netlink');
    expect(report.overlay).toMatchObject({ peersChecked: 3, peersOk: 0 });
    const summary = report.overlay?.problems.map(
      (p) => `${p.peer} ${p.parts.map((x) => `${OverlayPart[x.part]}:${Problem[x.problem]}`).join(',')}`,
    );
    expect(summary).toEqual(['node-2 ROUTE:MISSING', 'node-3 NEIGHBOR:WRONG_MAC', 'node-4 FDB:MISSING']);
  });

  it('reports the overlay device missing when it is deleted', async () => {
    ns.exec('ip link del flannel.1');
    const report = await collector.collect(peers, 3n, 'netlink');
    expect(report.links[0]).toMatchObject({ name: 'flannel.1', present: false });
    expect(report.overlay).toMatchObject({ peersChecked: 3, peersOk: 0 });
    expect(report.unavailable.filter((u) => u.source.startsWith('bridge'))).toEqual([]);
  });
});
