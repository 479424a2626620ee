import { describe, expect, it } from 'vitest';
import { OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { toOverlayDevice } from './overlay-device.ts';
import { getOverlayBackend, overlayNames, parseOverlayName } from './registry.ts';
import { capturedVxlanInput } from './test-fixtures.ts';

describe('overlay registry', () => {
  it('returns every registered backend by name', () => {
    expect(getOverlayBackend('flannel-vxlan').kind).toBe(OverlayKind.FLANNEL_VXLAN);
    expect(getOverlayBackend('flannel-host-gw').kind).toBe(OverlayKind.FLANNEL_HOST_GW);
    expect(getOverlayBackend('none').kind).toBe(OverlayKind.NONE);
    expect(overlayNames).toEqual(['auto', 'flannel-vxlan', 'flannel-host-gw', 'none']);
  });

  it('fails clearly on an unknown kind', () => {
    const message = "unknown overlay kind 'calico'; known: auto, flannel-vxlan, flannel-host-gw, none";
    expect(() => getOverlayBackend('calico')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message }));
    expect(() => parseOverlayName('calico')).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message }));
    expect(parseOverlayName('auto')).toBe('auto');
    expect(() => getOverlayBackend('auto')).toThrow(/resolved by describeSelf/);
  });

  it('none verifies nothing', () => {
    const r = getOverlayBackend('none').verify(capturedVxlanInput());
    expect(r).toMatchObject({ peersChecked: 0, peersOk: 0, problems: [] });
  });

  it('builds the Hello OverlayDevice from the self-description', () => {
    const d = toOverlayDevice(capturedVxlanInput().self);
    expect(d).toMatchObject({
      kind: OverlayKind.FLANNEL_VXLAN,
      name: 'flannel.1',
      vni: 1,
      port: 8472,
      vtepIp: '192.0.2.11',
      vtepMac: '0a:58:c6:12:01:00',
      mtu: 1450,
      underlayDevice: 'eth0',
      underlayMtu: 1500,
    });
  });
});
