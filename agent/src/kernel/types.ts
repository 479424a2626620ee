// What the kernel readers return: plain data parsed from iproute2 JSON and procfs.

export interface LinkAddress {
  family: 4 | 6;
  address: string;
  prefixLength: number;
  /** Kernel scope: 'global', 'link', 'host'. */
  scope?: string;
}

export interface VxlanAttributes {
  vni: number;
  /** UDP destination port (flannel uses 8472). */
  port: number;
  local?: string;
  learning: boolean;
  /** The underlay device named by the vxlan `dev` attribute, when the kernel reports one. */
  underlayDevice?: string;
}

export interface LinkInfo {
  name: string;
  index: number;
  /** info_kind: 'vxlan', 'bridge', 'veth', 'dummy', ... or '' for a physical device. */
  kind: string;
  adminUp: boolean;
  operState: string;
  mtu: number;
  mac: string;
  addresses: LinkAddress[];
  vxlan?: VxlanAttributes;
  /** The bridge (or bond) this link is enslaved to. */
  master?: string;
}

export interface RouteEntry {
  table: string;
  /** 'unicast', 'local', 'broadcast', 'blackhole', 'unreachable', ... */
  type: string;
  /** 'default' or a normalised CIDR; a host route gets /32 (/128 for IPv6). */
  dst: string;
  gateway?: string;
  dev?: string;
  onlink: boolean;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
}

export interface NeighborEntry {
  dst: string;
  dev: string;
  lladdr?: string;
  /** NUD states, upper case: 'PERMANENT', 'REACHABLE', 'STALE', 'FAILED', ... */
  states: string[];
}

export interface FdbEntry {
  mac: string;
  dev: string;
  /** The VXLAN remote (underlay IP) for overlay devices. */
  dst?: string;
  self: boolean;
  permanent: boolean;
}

export interface ConntrackReading {
  available: boolean;
  entries: number;
  maxEntries: number;
  insertFailedTotal: number;
  dropTotal: number;
  earlyDropTotal: number;
  /** Why the reading is unavailable, said plainly. */
  reason?: string;
}

export interface SysctlReading {
  ipForward?: boolean;
  /** rp_filter per interface ("all", "default", device names): 0 off, 1 strict, 2 loose. */
  rpFilter: Record<string, number>;
  unavailable: { source: string; reason: string }[];
}

/** The link, route and neighbor tables read together (one `ip -batch` run). */
export interface KernelTables {
  links: LinkInfo[];
  routes: RouteEntry[];
  neighbors: NeighborEntry[];
}

export interface KernelReader {
  /** links(), routes() and neighbors() in one read; a reader without it is read table by table. */
  tables?(signal?: AbortSignal): Promise<KernelTables>;
  links(signal?: AbortSignal): Promise<LinkInfo[]>;
  routes(signal?: AbortSignal): Promise<RouteEntry[]>;
  neighbors(signal?: AbortSignal): Promise<NeighborEntry[]>;
  fdb(device: string, signal?: AbortSignal): Promise<FdbEntry[]>;
  /** Never throws: an unreadable source gives `available: false` with a reason. */
  conntrack(): Promise<ConntrackReading>;
  /** Never throws: unreadable keys are listed in `unavailable`. */
  sysctls(devices: string[]): Promise<SysctlReading>;
}
