// Parses `ip -j -d addr show` (or `ip -j -d link show`, which lacks addresses) into LinkInfo.
import { parseJsonArray, str, num, strList, obj, type JsonObject } from './json-array.ts';
import type { LinkAddress, LinkInfo, VxlanAttributes } from './types.ts';

function parseAddresses(o: JsonObject): LinkAddress[] {
  const list = Array.isArray(o['addr_info']) ? (o['addr_info'] as unknown[]) : [];
  const out: LinkAddress[] = [];
  for (const a of list) {
    if (typeof a !== 'object' || a === null) continue;
    const entry = a as JsonObject;
    const family = str(entry, 'family');
    const address = str(entry, 'local');
    const prefixLength = num(entry, 'prefixlen');
    if ((family !== 'inet' && family !== 'inet6') || address === undefined || prefixLength === undefined) continue;
    const scope = str(entry, 'scope');
    out.push({ family: family === 'inet' ? 4 : 6, address, prefixLength, ...(scope ? { scope } : {}) });
  }
  return out;
}

function parseVxlan(data: JsonObject, nameByIndex: Map<number, string>): VxlanAttributes | undefined {
  const vni = num(data, 'id');
  if (vni === undefined) return undefined;
  const local = str(data, 'local') ?? str(data, 'local6');
  // iproute2 prints the underlay as a name, or as an index when it cannot resolve it.
  const link = data['link'];
  const underlayDevice = typeof link === 'string' ? link : typeof link === 'number' ? nameByIndex.get(link) : undefined;
  return {
    vni,
    port: num(data, 'port') ?? 0,
    learning: data['learning'] === true,
    ...(local ? { local } : {}),
    ...(underlayDevice ? { underlayDevice } : {}),
  };
}

export function parseLinks(text: string): LinkInfo[] {
  const rows = parseJsonArray(text, 'ip -j -d addr show');
  const nameByIndex = new Map<number, string>();
  for (const r of rows) {
    const index = num(r, 'ifindex');
    const name = str(r, 'ifname');
    if (index !== undefined && name !== undefined) nameByIndex.set(index, name);
  }
  const links: LinkInfo[] = [];
  for (const r of rows) {
    const name = str(r, 'ifname');
    const index = num(r, 'ifindex');
    if (name === undefined || index === undefined) continue;
    const linkinfo = obj(r, 'linkinfo');
    const kind = (linkinfo && str(linkinfo, 'info_kind')) ?? '';
    const data = linkinfo && obj(linkinfo, 'info_data');
    const vxlan = kind === 'vxlan' && data ? parseVxlan(data, nameByIndex) : undefined;
    const master = str(r, 'master');
    links.push({
      name,
      index,
      kind,
      adminUp: strList(r, 'flags').includes('UP'),
      operState: str(r, 'operstate') ?? 'UNKNOWN',
      mtu: num(r, 'mtu') ?? 0,
      mac: (str(r, 'address') ?? '').toLowerCase(),
      addresses: parseAddresses(r),
      ...(vxlan ? { vxlan } : {}),
      ...(master ? { master } : {}),
    });
  }
  return links;
}
