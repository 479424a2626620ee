// The targets view as a terminal table: each target's Service address and endpoints, with
// how many nodes probe each and which fail it now.
import type { ApiTarget, ApiTargetAddress } from './api-types.ts';
import { clean, padVisible, visibleLength, type Palette } from './palette.ts';

function state(a: ApiTargetAddress, p: Palette): string {
  if (a.probedFrom === 0) return p.dim('not probed yet');
  if (a.failingCount === 0) return `${p.green('·')} ok from ${a.probedFrom} node${a.probedFrom === 1 ? '' : 's'}`;
  const names =
    a.failingFrom.map(clean).join(', ') + (a.failingCount > a.failingFrom.length ? ` +${a.failingCount - a.failingFrom.length}` : '');
  return `${p.red('✕')} fails from ${a.failingCount}/${a.probedFrom}: ${names}`;
}

export function targetsHeadline(targets: readonly ApiTarget[]): string {
  const failing = targets.filter((t) => [t.service, ...t.endpoints].some((a) => a.failingCount > 0)).length;
  return targets.length === 0
    ? 'no targets (the collector has no --targets-file)'
    : `${targets.length} target${targets.length === 1 ? '' : 's'}, ${failing} with failing paths`;
}

export function formatTargets(targets: readonly ApiTarget[], p: Palette): string {
  const rows: string[][] = [['TARGET', 'PROTOCOL', 'ADDRESS', 'STATE']];
  for (const t of targets) {
    rows.push([clean(t.name), clean(t.protocol), `${clean(t.service.address)} (service)`, state(t.service, p)]);
    for (const ep of t.endpoints) rows.push(['', '', `  ${clean(ep.address)}`, state(ep, p)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => visibleLength(r[i]!))));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : padVisible(cell, widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
