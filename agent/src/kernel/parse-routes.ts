// Parses `ip -j route show table all` (IPv4 and IPv6) into RouteEntry.
import { normaliseCidr } from '../../../shared/src/cidr.ts';
import { parseJsonArray, str, strList } from './json-array.ts';
import type { RouteEntry } from './types.ts';

/** 'default' stays; "198.18.2.7/24" -> "198.18.2.0/24"; a bare host address gets /32 or /128. */
export function normaliseRouteDst(dst: string): string {
  if (dst === 'default') return dst;
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
