import { describe, expect, it } from 'vitest';
import { OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import { createHostAgent } from './host-agent.ts';
import { parseFdb } from '../kernel/parse-fdb.ts';
import { parseLinks } from '../kernel/parse-links.ts';
import { parseNeighbors } from '../kernel/parse-neighbors.ts';
import { parseRoutes } from '../kernel/parse-routes.ts';
import { loadTestdata } from '../kernel/testdata/load.ts';
import type { KernelReader } from '../kernel/types.ts';
import type { Uplink } from '../uplink/uplink.ts';

// A node whose flannel.1 does not exist yet when the agent starts (seed 000: the agent
// races the CNI at boot), and appears later.
function bootingNode() {
  const allLinks = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
  const state = { flannelUp: false, mac: '' };
  const reader: KernelReader = {
    links: async () =>
      allLinks
        .filter((l) => state.flannelUp || !l.name.startsWith('flannel.'))
        .map((l) => (state.mac && l.name.startsWith('flannel.') ? { ...l, mac: state.mac } : l)),
    routes: async () => (state.flannelUp ? parseRoutes(loadTestdata('ip-route-flannel-vxlan.json')) : []),
    neighbors: async () => parseNeighbors(loadTestdata('ip-neigh-flannel-vxlan.json')),
    fdb: async () => parseFdb(loadTestdata('bridge-fdb-flannel-vxlan.json'), 'flannel.1'),
    conntrack: async () => ({
      available: false,
      entries: 0,
      maxEntries: 0,
      insertFailedTotal: 0,
      dropTotal: 0,
      earlyDropTotal: 0,
      reason: 'test',
    }),
    sysctls: async () => ({ rpFilter: {}, unavailable: [] }),
  };
  return { reader, state };
}

function fakeUplink() {
  const reasons: string[] = [];
  const sent: string[] = [];
  const uplink: Uplink = {
    start: () => undefined,
    send: (request) => (sent.push(request.payload.case ?? 'none'), true),
    connected: true,
    reconnect: (reason) => reasons.push(reason),
    stop: async () => undefined,
  };
  return { uplink, reasons, sent };
}

const options = {
  nodeName: 'node-1',
  logger: createSilentLogger(),
  probeAddress: '0.0.0.0',
  probePort: 7946,
  verifyIntervalMs: 60_000,
  netlinkDebounceMs: 1,
};

describe('host agent overlay detection', () => {
  it('re-announces the node once the overlay device appears after start-up (--overlay auto)', async () => {
    const { reader, state } = bootingNode();
    const { uplink, reasons, sent } = fakeUplink();
    const agent = await createHostAgent({ ...options, reader, overrides: { overlay: 'auto' }, uplink });
    expect(agent.hello().overlay?.kind).toBe(OverlayKind.NONE);

    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(sent).toEqual(['nodeReport']); // the pass ran, and found no device yet
    expect(reasons).toEqual([]);

    state.flannelUp = true;
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(reasons).toEqual(['overlay device appeared']);
    expect(agent.hello().overlay?.kind).toBe(OverlayKind.FLANNEL_VXLAN);
    expect(agent.hello().overlay?.name).toBe('flannel.1');
    expect(agent.self.overlay.mtu).toBeGreaterThan(0);
    agent.stop();
  });

  it('re-announces the node when the device it found changes its MAC (configured after creation, or recreated)', async () => {
    const { reader, state } = bootingNode();
    state.flannelUp = true;
    const { uplink, reasons, sent } = fakeUplink();
    const agent = await createHostAgent({ ...options, reader, overrides: { overlay: 'auto' }, uplink });
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(sent).toEqual(['nodeReport']);
    expect(reasons).toEqual([]);
    state.mac = '0a:58:c6:12:77:00';
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(reasons).toEqual(['overlay device changed']);
    expect(agent.hello().overlay?.vtepMac).toBe('0a:58:c6:12:77:00');
    agent.stop();
  });

  it('keeps an explicit --overlay none as it is', async () => {
    const { reader, state } = bootingNode();
    state.flannelUp = true;
    const { uplink, reasons, sent } = fakeUplink();
    const agent = await createHostAgent({ ...options, reader, overrides: { overlay: 'none' }, uplink });
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(sent).toEqual(['nodeReport']);
    expect(reasons).toEqual([]);
    expect(agent.hello().overlay?.kind).toBe(OverlayKind.NONE);
    agent.stop();
  });

  it('reads the link table once per verification pass (re-detection and the report share it)', async () => {
    const { reader, state } = bootingNode();
    state.flannelUp = true;
    let linkReads = 0;
    const counting = { ...reader, links: async () => ((linkReads += 1), reader.links()) };
    const agent = await createHostAgent({ ...options, reader: counting, overrides: { overlay: 'auto' }, uplink: fakeUplink().uplink });
    linkReads = 0;
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(linkReads).toBe(1);
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(linkReads).toBe(2); // a second pass reads afresh
    agent.stop();
  });

  it('--pod-network-probes via-overlay: names the overlay device address in the hello, and re-announces when it changes', async () => {
    const { reader, state } = bootingNode();
    state.flannelUp = true;
    let overlayIp = '198.18.1.0';
    const moving = {
      ...reader,
      links: async () =>
        (await reader.links()).map((l) =>
          l.name === 'flannel.1' ? { ...l, addresses: l.addresses.map((a) => (a.family === 4 ? { ...a, address: overlayIp } : a)) } : l,
        ),
    };
    const { uplink, reasons } = fakeUplink();
    const agent = await createHostAgent({ ...options, reader: moving, overrides: {}, uplink, answersForPodNetwork: true });
    expect(agent.hello()).toMatchObject({ podCidrs: ['198.18.1.0/24'], podProbeAddress: '198.18.1.0' });
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(reasons).toEqual([]);
    overlayIp = '198.18.1.254';
    agent.onNetlinkChange();
    await agent.whenIdle();
    expect(reasons).toEqual(['pod-network probe address changed']);
    expect(agent.hello().podProbeAddress).toBe('198.18.1.254');
    agent.stop();
    // Without the flag the hello names no pod-network address (the pod agent answers for it).
    const plain = await createHostAgent({ ...options, reader, overrides: {}, uplink: fakeUplink().uplink });
    expect(plain.hello().podProbeAddress).toBe('');
    plain.stop();
  });
});
