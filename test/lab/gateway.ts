// Where 192.0.2.1 (the collector's address on the underlay) can live. The root namespace
// gets the lab's veth only if it uses no part of 192.0.2.0/24 itself: on a machine whose
// own network is 192.0.2.0/24 (some sandboxes), a root veth would shadow the machine's
// gateway and send lab traffic out of the real NIC. Then 192.0.2.1 goes into a
// `<prefix>gateway` namespace instead and the root namespace gets no interface at all.
import { ROOT_VETH_PATTERN } from './naming.ts';
import { run } from './run.ts';

const UNDERLAY_NET = ipv4ToInt('192.0.2.0');
const UNDERLAY_LEN = 24;

export function ipv4ToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return Number.NaN;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function mask(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** True if a.b.c.d/len and 192.0.2.0/24 share any address. */
export function overlapsUnderlay(cidr: string): boolean {
  const [ip = '', lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const addr = ipv4ToInt(ip);
  if (Number.isNaN(addr) || !Number.isInteger(len)) return false;
  const common = Math.min(len, UNDERLAY_LEN);
  return ((addr ^ UNDERLAY_NET) & mask(common)) === 0;
}

interface IpRoute {
  dst?: string;
  gateway?: string;
  dev?: string;
}
interface IpAddr {
  ifname?: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** Why the root namespace cannot hold the lab's gateway veth, or null if it can. */
export async function rootUnderlayConflict(): Promise<string | null> {
  const addrs = JSON.parse(await run(['ip', '-j', '-4', 'addr', 'show'])) as IpAddr[];
  for (const link of addrs) {
    if (link.ifname && ROOT_VETH_PATTERN.test(link.ifname)) continue;
    for (const a of link.addr_info ?? []) {
      if (a.local && overlapsUnderlay(`${a.local}/${a.prefixlen ?? 32}`)) {
        return `root namespace has ${a.local}/${a.prefixlen ?? 32} on ${link.ifname ?? '?'}`;
      }
    }
  }
  const routes = JSON.parse(await run(['ip', '-j', '-4', 'route', 'show', 'table', 'all'])) as IpRoute[];
  for (const r of routes) {
    if (r.dev && ROOT_VETH_PATTERN.test(r.dev)) continue;
    if (r.gateway && overlapsUnderlay(r.gateway)) return `root namespace routes ${r.dst ?? '?'} via ${r.gateway}`;
    if (r.dst && r.dst !== 'default' && overlapsUnderlay(r.dst)) return `root namespace has a route to ${r.dst}`;
  }
  return null;
}
