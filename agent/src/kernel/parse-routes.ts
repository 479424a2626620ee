// Parses `ip -j route show table all` (IPv4 and IPv6) into RouteEntry.
import { normaliseCidr } from '../../../shared/src/cidr.ts';
import { parseJsonArray, str, strList } from './json-array.ts';
import type { RouteEntry } from './types.ts';

const ipv4Cidr = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** True for an IPv4 CIDR already in normal form (the kernel prints routes that way). */
function isNormalIpv4Cidr(dst: string): boolean {
  const m = ipv4Cidr.exec(dst);
  if (!m) return false;
  const octets = [m[1], m[2], m[3], m[4]].map(Number);
  const length = Number(m[5]);
  if (length > 32 || octets.some((o) => o > 255) || octets.some((o, i) => String(o) !== [m[1], m[2], m[3], m[4]][i])) return false;
  const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return (address & mask) >>> 0 === address;
}

/** 'default' stays; "198.18.2.7/24" -> "198.18.2.0/24"; a bare host address gets /32 or /128. */
export function normaliseRouteDst(dst: string): string {
  if (dst === 'default') return dst;
  // Fast path: at 5,000 peers the general parser was most of the route dump's parse time.
  if (isNormalIpv4Cidr(dst)) return dst;
  if (dst.includes('/')) return normaliseCidr(dst);
  return dst.includes(':') ? `${dst.toLowerCase()}/128` : `${dst}/32`;
}

export function parseRoutes(text: string): RouteEntry[] {
  const routes: RouteEntry[] = [];
  for (const r of parseJsonArray(text, 'ip -j route show table all')) {
    const dst = str(r, 'dst');
    if (dst === undefined) continue;
    // The main table carries no "table" key; unicast routes carry no "type" key.
    const gateway = str(r, 'gateway');
    const dev = str(r, 'dev');
    const protocol = str(r, 'protocol');
    const scope = str(r, 'scope');
    const prefsrc = str(r, 'prefsrc');
    routes.push({
      table: str(r, 'table') ?? 'main',
      type: str(r, 'type') ?? 'unicast',
      dst: normaliseRouteDst(dst),
      onlink: strList(r, 'flags').includes('onlink'),
      ...(gateway ? { gateway } : {}),
      ...(dev ? { dev } : {}),
      ...(protocol ? { protocol } : {}),
      ...(scope ? { scope } : {}),
      ...(prefsrc ? { prefsrc } : {}),
    });
  }
  return routes;
}
