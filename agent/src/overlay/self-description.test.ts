import { describe, expect, it } from 'vitest';
import { parseLinks } from '../kernel/parse-links.ts';
import { parseRoutes } from '../kernel/parse-routes.ts';
import { loadTestdata } from '../kernel/testdata/load.ts';
import type { LinkInfo } from '../kernel/types.ts';
import { describeSelf } from './self-description.ts';

const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
const routes = parseRoutes(loadTestdata('ip-route-flannel-vxlan.json'));
const withoutFlannel = links.filter((l) => l.name !== 'flannel.1');

describe('describeSelf', () => {
  it('detects flannel VXLAN from a captured node', () => {
    expect(describeSelf(links, routes)).toEqual({
      overlay: {
        kind: 'flannel-vxlan',
        name: 'flannel.1',
        vni: 1,
        port: 8472,
        vtepIp: '192.0.2.11',
        vtepMac: '0a:58:c6:12:01:00',
        mtu: 1450,
        underlayDevice: 'eth0',
        underlayMtu: 1500,
      },
      podCidrs: ['198.18.1.0/24'],
      underlayIp: '192.0.2.11',
      podBridge: 'cni0',
      overlayIp: '198.18.1.0',
      notes: [],
    });
  });

  it('finds the underlay device from the VTEP IP when the vxlan link names none', () => {
    const stripped = links.map((l): LinkInfo =>
      l.vxlan ? { ...l, vxlan: { vni: 1, port: 8472, learning: false, local: '192.0.2.11' } } : l,
    );
    expect(describeSelf(stripped, routes).overlay).toMatchObject({ underlayDevice: 'eth0', underlayMtu: 1500 });
  });

  it('says plainly when there is no overlay', () => {
    const self = describeSelf(withoutFlannel, routes);
    expect(self.overlay).toMatchObject({ kind: 'none', name: '', vni: 0, underlayDevice: 'eth0' });
    expect(self.underlayIp).toBe('192.0.2.11');
    expect(self.notes).toEqual([
      'no flannel.<VNI> VXLAN device found; overlay verification is off — pass --overlay flannel-host-gw for host-gw',
    ]);
  });

  it('uses the default route, then the first plain global IPv4, for the underlay IP', () => {
    expect(describeSelf(withoutFlannel, routes).underlayIp).toBe('192.0.2.11');
    const noDefault = routes.filter((r) => r.dst !== 'default');
    const self = describeSelf(withoutFlannel, noDefault);
    expect(self.underlayIp).toBe('192.0.2.11');
    expect(self.overlay.underlayDevice).toBe('eth0');
    expect(
      describeSelf(
        withoutFlannel.filter((l) => l.name !== 'eth0'),
        noDefault,
      ).notes,
    ).toContain('no underlay IPv4 address found; pass --underlay-ip');
  });

  it('uses cbr0 when there is no cni0, and says when there is no bridge', () => {
    const cbr = links.map((l) => (l.name === 'cni0' ? { ...l, name: 'cbr0' } : l));
    expect(describeSelf(cbr, routes)).toMatchObject({ podBridge: 'cbr0', podCidrs: ['198.18.1.0/24'] });
    const none = describeSelf(
      links.filter((l) => l.name !== 'cni0'),
      routes,
    );
    expect(none.podCidrs).toEqual([]);
    expect(none.podBridge).toBeUndefined();
    expect(none.notes).toContain('no pod bridge (cni0, cbr0) found; pass --pod-cidrs');
  });

  it('lets flags win', () => {
    const self = describeSelf(links, routes, {
      overlay: 'flannel-host-gw',
      podCidrs: ['198.18.7.0/24'],
      underlayIp: '192.0.2.99',
      podBridge: 'br-pods',
    });
    expect(self.overlay).toMatchObject({ kind: 'flannel-host-gw', name: '', vni: 0 });
    expect(self).toMatchObject({ podCidrs: ['198.18.7.0/24'], underlayIp: '192.0.2.99', podBridge: 'br-pods' });
  });

  it('keeps a forced flannel-vxlan kind when the device is gone, so it is reported missing', () => {
    const self = describeSelf(withoutFlannel, routes, { overlay: 'flannel-vxlan' });
    expect(self.overlay).toMatchObject({ kind: 'flannel-vxlan', name: 'flannel.1', vni: 0 });
    expect(self.notes).toContain('no flannel.<VNI> VXLAN device found; it will be reported missing');
  });

  it('honours --overlay-device and refuses a non-vxlan one', () => {
    const renamed = links.map((l) => (l.name === 'flannel.1' ? { ...l, name: 'vxlan-pods' } : l));
    expect(describeSelf(renamed, routes).overlay.kind).toBe('none');
    expect(describeSelf(renamed, routes, { overlayDevice: 'vxlan-pods' }).overlay).toMatchObject({
      kind: 'flannel-vxlan',
      name: 'vxlan-pods',
      vni: 1,
    });
    const wrong = describeSelf(links, routes, { overlayDevice: 'cni0' });
    expect(wrong.overlay.kind).toBe('none');
    expect(wrong.notes[0]).toBe("overlay device cni0 is a 'bridge' device, not vxlan");
  });
});
