// Works out what this node is from its own links and routes: overlay device, pod CIDR,
// underlay IP. Flags (overrides) win over detection.
import { parseCidr } from '../../../shared/src/cidr.ts';
import type { LinkInfo, RouteEntry } from '../kernel/types.ts';

export type OverlayKindName = 'flannel-vxlan' | 'flannel-host-gw' | 'none';
export type OverlayOverride = 'auto' | OverlayKindName;

export interface OverlaySelf {
  kind: OverlayKindName;
  /** Overlay device, e.g. "flannel.1"; '' for host-gw and none. */
  name: string;
  vni: number;
  port: number;
  vtepIp: string;
  vtepMac: string;
  mtu: number;
  underlayDevice: string;
  underlayMtu: number;
}

export interface SelfDescription {
  overlay: OverlaySelf;
  podCidrs: string[];
  underlayIp?: string;
  podBridge?: string;
  /**
   * The overlay device's own IPv4 address (flannel VXLAN: flannel.1's <pod CIDR>.0/32), when it
   * has one: a peer's host agent reaches this node's host network namespace at it through the
   * overlay, and this node's replies leave from it (the route back to any pod CIDR is via
   * flannel.1, whose address is the route's source).
   */
  overlayIp?: string;
  /** Plain sentences about what was (not) found, for the start-up log. */
  notes: string[];
}

export interface SelfOverrides {
  overlay?: OverlayOverride;
  overlayDevice?: string;
  /** Readonly so frozen config can be passed as is. */
  podCidrs?: readonly string[];
  underlayIp?: string;
  podBridge?: string;
}

const flannelName = /^flannel\.(\d+)$/;
const podBridgeNames = ['cni0', 'cbr0'];

function globalV4(link: LinkInfo | undefined): string | undefined {
  return link?.addresses.find((a) => a.family === 4 && (a.scope ?? 'global') === 'global')?.address;
}

function findVxlan(links: LinkInfo[], overrides: SelfOverrides, notes: string[]): LinkInfo | undefined {
  if (overrides.overlayDevice) {
    const link = links.find((l) => l.name === overrides.overlayDevice);
    if (!link) notes.push(`overlay device ${overrides.overlayDevice} (from flags) not found`);
    else if (link.kind !== 'vxlan') notes.push(`overlay device ${link.name} is a '${link.kind}' device, not vxlan`);
    return link?.kind === 'vxlan' ? link : undefined;
  }
  const candidates = links.filter((l) => l.kind === 'vxlan' && flannelName.test(l.name)).sort((a, b) => a.index - b.index);
  if (candidates.length > 1)
    notes.push(`several flannel VXLAN devices (${candidates.map((l) => l.name).join(', ')}); using ${candidates[0]?.name}`);
  return candidates[0];
}

function underlayFor(
  links: LinkInfo[],
  routes: RouteEntry[],
  vtepIp: string | undefined,
  vxlanLink: LinkInfo | undefined,
  overrides: SelfOverrides,
): { ip?: string; device?: LinkInfo } {
  const byName = (name: string | undefined): LinkInfo | undefined => (name ? links.find((l) => l.name === name) : undefined);
  const owning = (ip: string | undefined): LinkInfo | undefined =>
    ip ? links.find((l) => l.addresses.some((a) => a.address === ip)) : undefined;
  const ip = overrides.underlayIp ?? vtepIp;
  if (ip) return { ip, device: byName(vxlanLink?.vxlan?.underlayDevice) ?? owning(ip) };
  const def = routes.find((r) => r.table === 'main' && r.dst === 'default' && r.dev);
  const defDev = byName(def?.dev);
  const defIp = def?.prefsrc ?? globalV4(defDev);
  if (defIp) return { ip: defIp, device: owning(defIp) ?? defDev };
  const usable = (l: LinkInfo) => l.kind !== 'vxlan' && l.kind !== 'bridge' && l.name !== 'lo' && globalV4(l) !== undefined;
  // A physical NIC first; then a veth that carries an address (a node that is itself a
  // namespace or container, like the lab's) — pods' host-side veths have no IPv4.
  const plain = links.find((l) => usable(l) && l.kind !== 'veth') ?? links.find(usable);
  return plain ? { ip: globalV4(plain), device: plain } : {};
}

/**
 * Detection: a vxlan link named flannel.<VNI> means flannel VXLAN. Host-gw leaves no
 * device of its own, so it is never guessed; it must be asked for by flag.
 */
export function describeSelf(links: LinkInfo[], routes: RouteEntry[], overrides: SelfOverrides = {}): SelfDescription {
  const notes: string[] = [];
  const wanted = overrides.overlay ?? 'auto';
  const vxlanLink = wanted === 'auto' || wanted === 'flannel-vxlan' ? findVxlan(links, overrides, notes) : undefined;
  const kind: OverlayKindName = wanted === 'auto' ? (vxlanLink ? 'flannel-vxlan' : 'none') : wanted;
  if (wanted === 'auto' && !vxlanLink) {
    notes.push('no flannel.<VNI> VXLAN device found; overlay verification is off — pass --overlay flannel-host-gw for host-gw');
  }
  if (wanted === 'flannel-vxlan' && !vxlanLink && !overrides.overlayDevice)
    notes.push('no flannel.<VNI> VXLAN device found; it will be reported missing');

  const vtepIp = vxlanLink?.vxlan?.local;
  const underlay = underlayFor(links, routes, vtepIp, vxlanLink, overrides);
  if (!underlay.ip) notes.push('no underlay IPv4 address found; pass --underlay-ip');

  const bridge = overrides.podBridge
    ? links.find((l) => l.name === overrides.podBridge)
    : links.find((l) => podBridgeNames.includes(l.name));
  const podBridge = overrides.podBridge ?? bridge?.name;
  // An empty list (flag not given) means "detect", not "this node has no pod CIDR".
  let podCidrs = overrides.podCidrs?.length ? [...overrides.podCidrs] : undefined;
  if (!podCidrs) {
    podCidrs = (bridge?.addresses ?? [])
      .filter((a) => a.scope !== 'link' && a.scope !== 'host')
      .map((a) => {
        const c = parseCidr(`${a.address}/${a.prefixLength}`);
        return c ? `${c.network}/${c.prefixLength}` : '';
      })
      .filter((c) => c !== '');
    if (podCidrs.length === 0)
      notes.push(
        bridge ? `pod bridge ${bridge.name} has no address; pass --pod-cidrs` : 'no pod bridge (cni0, cbr0) found; pass --pod-cidrs',
      );
  }

  const overlayIp = globalV4(vxlanLink);
  const defaultName = overrides.overlayDevice ?? (kind === 'flannel-vxlan' ? 'flannel.1' : '');
  return {
    overlay: {
      kind,
      name: kind === 'flannel-vxlan' ? (vxlanLink?.name ?? defaultName) : '',
      vni: vxlanLink?.vxlan?.vni ?? 0,
      port: vxlanLink?.vxlan?.port ?? 0,
      vtepIp: vtepIp ?? '',
      vtepMac: vxlanLink?.mac ?? '',
      mtu: vxlanLink?.mtu ?? 0,
      underlayDevice: underlay.device?.name ?? '',
      underlayMtu: underlay.device?.mtu ?? 0,
    },
    podCidrs,
    ...(underlay.ip ? { underlayIp: underlay.ip } : {}),
    ...(podBridge ? { podBridge } : {}),
    ...(overlayIp ? { overlayIp } : {}),
    notes,
  };
}
