// Parses `ip -j neigh show` into NeighborEntry.
import { parseJsonArray, str, strList } from './json-array.ts';
import type { NeighborEntry } from './types.ts';

export function parseNeighbors(text: string): NeighborEntry[] {
  const out: NeighborEntry[] = [];
  for (const r of parseJsonArray(text, 'ip -j neigh show')) {
    const dst = str(r, 'dst');
    const dev = str(r, 'dev');
    if (dst === undefined || dev === undefined) continue;
    const lladdr = str(r, 'lladdr');
    out.push({
      dst,
      dev,
      states: strList(r, 'state').map((s) => s.toUpperCase()),
      ...(lladdr ? { lladdr: lladdr.toLowerCase() } : {}),
    });
  }
  return out;
}
