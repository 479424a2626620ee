import { describe, expect, it } from 'vitest';
import { NetsentryError } from '../../../shared/src/errors.ts';
import { LinkRole, OverlayKind, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import type { KernelReader } from '../kernel/types.ts';
import { getOverlayBackend } from '../overlay/registry.ts';
import { capturedVxlanInput } from '../overlay/test-fixtures.ts';
import { parseLinks } from '../kernel/parse-links.ts';
import { loadTestdata } from '../kernel/testdata/load.ts';
import { createNodeReportCollector } from './collect-node-report.ts';

const captured = capturedVxlanInput();
const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));

function fakeReader(over: Partial<KernelReader> = {}): KernelReader & { calls: string[] } {
  const calls: string[] = [];
  const base: KernelReader = {
    links: async () => {
      calls.push('links');
      return links;
    },
    routes: async () => {
      calls.push('routes');
      return captured.routes;
    },
    neighbors: async () => {
      calls.push('neighbors');
      return captured.neighbors;
    },
    fdb: async (d) => {
      calls.push(`fdb ${d}`);
      return captured.fdb;
    },
    conntrack: async () => ({ available: true, entries: 10, maxEntries: 100, insertFailedTotal: 1, dropTotal: 2, earlyDropTotal: 3 }),
    sysctls: async () => ({ ipForward: true, rpFilter: { all: 0, default: 1, 'flannel.1': 2, eth0: 1 }, unavailable: [] }),
  };
  return Object.assign({ ...base, ...over }, { calls });
}

function collector(reader: KernelReader, backendName = 'flannel-vxlan') {
  let t = 1000;
  return createNodeReportCollector({
    reader,
    backend: getOverlayBackend(backendName),
    self: captured.self,
    logger: createSilentLogger(),
    now: () => 1_700_000_000_123,
    monotonic: () => (t += 5),
  });
}

describe('createNodeReportCollector', () => {
  it('builds a full report for a healthy node', async () => {
    const reader = fakeReader();
    const report = await collector(reader).collect(captured.peers, 7n, 'periodic');
    expect(report.observedAtUnixMs).toBe(1_700_000_000_123n);
    expect(report.peerSetGeneration).toBe(7n);
    expect(report.trigger).toBe('periodic');
    expect(report.overlay).toMatchObject({
      kind: OverlayKind.FLANNEL_VXLAN,
      peersChecked: 3,
      peersOk: 3,
      problems: [],
      durationSeconds: 0.005,
    });
    expect(report.overlay?.healthyDigest).toHaveLength(16);
    expect(report.links.map((l) => [l.name, l.role, l.present, l.up, l.operState, l.mtu, l.kind])).toEqual([
      ['flannel.1', LinkRole.OVERLAY, true, true, 'UNKNOWN', 1450, 'vxlan'],
      ['cni0', LinkRole.POD_BRIDGE, true, true, 'DOWN', 1450, 'bridge'],
      ['eth0', LinkRole.UNDERLAY, true, true, 'UNKNOWN', 1500, 'ifb'],
    ]);
    expect(report.conntrack).toMatchObject({
      available: true,
      entries: 10n,
      maxEntries: 100n,
      insertFailedTotal: 1n,
      dropTotal: 2n,
      earlyDropTotal: 3n,
    });
    expect(report.sysctls).toMatchObject({ ipForward: true, rpFilter: { all: 0, default: 1, 'flannel.1': 2, eth0: 1 } });
    expect(report.unavailable).toEqual([]);
    expect(reader.calls.sort()).toEqual(['fdb flannel.1', 'links', 'neighbors', 'routes']);
  });

  it('reports a vanished overlay device as a missing link and every chain missing', async () => {
    const reader = fakeReader({
      links: async () => links.filter((l) => l.name !== 'flannel.1'),
      routes: async () => captured.routes.filter((r) => r.dev !== 'flannel.1'),
      neighbors: async () => [],
      fdb: async () => {
        throw new NetsentryError('UNAVAILABLE', "'bridge -j fdb show dev flannel.1' failed: Cannot find device");
      },
    });
    const report = await collector(reader).collect(captured.peers, 1n, 'netlink');
    expect(report.links[0]).toMatchObject({ name: 'flannel.1', role: LinkRole.OVERLAY, present: false });
    expect(report.overlay).toMatchObject({ peersChecked: 3, peersOk: 0 });
    expect(report.overlay?.problems[0]?.parts.map((p) => [p.part, p.problem])).toEqual([
      [OverlayPart.ROUTE, Problem.MISSING],
      [OverlayPart.NEIGHBOR, Problem.MISSING],
      [OverlayPart.FDB, Problem.MISSING],
    ]);
    expect(report.unavailable).toEqual([]);
  });

  it('puts a failed reader in unavailable and checks no peers', async () => {
    const reader = fakeReader({
      routes: async () => {
        throw new NetsentryError('TIMEOUT', "'ip -j route show table all' timed out after 5000 ms");
      },
    });
    const report = await collector(reader).collect(captured.peers, 2n, 'periodic');
    expect(report.overlay).toMatchObject({ kind: OverlayKind.FLANNEL_VXLAN, peersChecked: 0, peersOk: 0, problems: [], healthyDigest: '' });
    expect(report.unavailable.map((u) => [u.source, u.reason])).toEqual([
      ['ip -j route show table all', "'ip -j route show table all' timed out after 5000 ms"],
    ]);
    expect(report.links).toHaveLength(3);
  });

  it('sends no link status when the link dump fails, so nothing looks down', async () => {
    const reader = fakeReader({
      links: async () => {
        throw new Error('boom');
      },
    });
    const report = await collector(reader).collect(captured.peers, 2n, 'periodic');
    expect(report.links).toEqual([]);
    expect(report.unavailable.map((u) => u.source)).toEqual(['ip -j -d addr show']);
    expect(report.overlay?.peersOk).toBe(3);
  });

  it('lists unavailable conntrack and sysctls', async () => {
    const reader = fakeReader({
      conntrack: async () => ({
        available: false,
        entries: 0,
        maxEntries: 0,
        insertFailedTotal: 0,
        dropTotal: 0,
        earlyDropTotal: 0,
        reason: 'module not loaded',
      }),
      sysctls: async () => ({ rpFilter: {}, unavailable: [{ source: 'net.ipv4.ip_forward', reason: 'permission denied' }] }),
    });
    const report = await collector(reader).collect(captured.peers, 2n, 'periodic');
    expect(report.conntrack?.available).toBe(false);
    expect(report.sysctls?.ipForward).toBeUndefined();
    expect(report.unavailable.map((u) => `${u.source}: ${u.reason}`)).toEqual([
      'conntrack: module not loaded',
      'net.ipv4.ip_forward: permission denied',
    ]);
  });

  it('skips neighbor and FDB reads for a backend that does not need them', async () => {
    const reader = fakeReader();
    const report = await collector(reader, 'flannel-host-gw').collect(captured.peers, 3n, 'peer-set');
    expect(reader.calls.sort()).toEqual(['links', 'routes']);
    expect(report.overlay?.kind).toBe(OverlayKind.FLANNEL_HOST_GW);
  });
});
