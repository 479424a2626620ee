// Parses `bridge -j fdb show [dev D]` into FdbEntry.
import { parseJsonArray, str, strList } from './json-array.ts';
import type { FdbEntry } from './types.ts';

/**
 * `bridge -j fdb show dev D` omits "ifname" (every row is on D), so the caller passes D
 * as the default device.
 */
export function parseFdb(text: string, defaultDevice = ''): FdbEntry[] {
  const out: FdbEntry[] = [];
  for (const r of parseJsonArray(text, 'bridge -j fdb show')) {
    const mac = str(r, 'mac');
    if (mac === undefined) continue;
    const dst = str(r, 'dst');
    out.push({
      mac: mac.toLowerCase(),
      dev: str(r, 'ifname') ?? defaultDevice,
      self: strList(r, 'flags').includes('self'),
      permanent: strList(r, 'state').includes('permanent'),
      ...(dst ? { dst } : {}),
    });
  }
  return out;
}
