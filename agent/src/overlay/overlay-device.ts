// The Hello's OverlayDevice message from a self-description.
import { create } from '@bufbuild/protobuf';
import { OverlayDeviceSchema, OverlayKind, type OverlayDevice } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { OverlayKindName, SelfDescription } from './self-description.ts';

const kindByName: Record<OverlayKindName, OverlayKind> = {
  'flannel-vxlan': OverlayKind.FLANNEL_VXLAN,
  'flannel-host-gw': OverlayKind.FLANNEL_HOST_GW,
  none: OverlayKind.NONE,
};

export function overlayKindOf(name: OverlayKindName): OverlayKind {
  return kindByName[name];
}

export function toOverlayDevice(self: SelfDescription): OverlayDevice {
  const o = self.overlay;
  return create(OverlayDeviceSchema, {
    kind: overlayKindOf(o.kind),
    name: o.name,
    vni: o.vni,
    port: o.port,
    vtepIp: o.vtepIp,
    vtepMac: o.vtepMac,
    mtu: o.mtu,
    underlayDevice: o.underlayDevice,
    underlayMtu: o.underlayMtu,
  });
}
