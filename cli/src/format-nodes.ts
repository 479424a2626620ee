// The node view as a terminal table: agents, overlay device, MTU, conntrack fill, overlay check.
import type { ApiAgent, ApiNode } from './api-types.ts';
import { formatAge } from './format-findings.ts';
import { naturalCompare } from './format-matrix.ts';
import { clean, padVisible, visibleLength, type Palette } from './palette.ts';

function agent(a: ApiAgent | undefined, nowMs: number, p: Palette): string {
  if (!a) return p.dim('-');
  return a.connected ? `${p.green('●')} up ${formatAge(a.lastSeen, nowMs)}` : `${p.red('○ DOWN')} seen ${formatAge(a.lastSeen, nowMs)}`;
}

const mtuOf = (a: ApiAgent | undefined, role: string): number | undefined => a?.links?.find((l) => l.role === role && l.present)?.mtu;

export function nodeColumns(node: ApiNode, nowMs: number, p: Palette): string[] {
  const host = node.hostAgent;
  const overlay = host?.overlay;
  const device =
    overlay && overlay.kind !== 'none'
      ? `${clean(overlay.name || '?')} ${clean(overlay.kind)}${overlay.vni ? ` vni ${overlay.vni}` : ''}`
      : host
        ? 'none'
        : '-';
  const mtu = host ? `${mtuOf(host, 'overlay') ?? overlay?.mtu ?? '-'}/${mtuOf(host, 'underlay') ?? overlay?.underlayMtu ?? '-'}` : '-';
  const ct = host?.conntrack;
  const fill = ct?.available && ct.maxEntries ? (ct.entries ?? 0) / ct.maxEntries : undefined;
  const conntrack = fill === undefined ? 'n/a' : `${(fill * 100).toFixed(0)}% ${ct?.entries}/${ct?.maxEntries}`;
  const check = host?.overlayCheck;
  let checkText = '-';
  if (check) {
    const problems = check.problems ?? [];
    const text = problems
      .map((pr) => `${clean(pr.peer)} ${(pr.parts ?? []).map((x) => `${clean(x.part)} ${clean(x.problem)}`).join('+')}`)
      .join('; ');
    checkText =
      problems.length === 0
        ? `${p.green('·')} ${check.peersOk}/${check.peersChecked} ok`
        : `${p.red('✕')} ${check.peersOk}/${check.peersChecked} ok: ${text}`;
  }
  return [
    clean(node.name),
    agent(host, nowMs, p),
    agent(node.podAgent, nowMs, p),
    device,
    mtu,
    fill !== undefined && fill >= 0.9 ? p.red(conntrack) : conntrack,
    checkText,
  ];
}

/** -o wide: where the node is and what runs there, before the overlay check. */
function wideColumns(node: ApiNode): string[] {
  const host = node.hostAgent ?? node.podAgent;
  const restarts = (node.hostAgent?.restarts ?? 0) + (node.podAgent?.restarts ?? 0);
  return [
    clean(host?.addresses?.[0] ?? '-'),
    clean((host?.podCidrs ?? []).join(',') || '-'),
    clean(host?.agentVersion ?? '-'),
    String(restarts),
  ];
}

export function formatNodes(nodes: readonly ApiNode[], nowMs: number, p: Palette, wide = false): string {
  if (nodes.length === 0) return 'No agents have connected yet.';
  const base = ['NODE', 'HOST AGENT', 'POD AGENT', 'OVERLAY', 'MTU O/U', 'CONNTRACK', 'OVERLAY CHECK'];
  const extra = ['ADDRESS', 'POD CIDR', 'AGENT', 'RESTARTS'];
  // Wide columns go before the overlay check, which stays last because it is free text.
  const withWide = (cols: string[], more: string[]) => (wide ? [...cols.slice(0, -1), ...more, cols.at(-1)!] : cols);
  const header = withWide(base, extra);
  const rows = [...nodes].sort((a, b) => naturalCompare(a.name, b.name)).map((n) => withWide(nodeColumns(n, nowMs, p), wideColumns(n)));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i]!))));
  const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : padVisible(c, widths[i]!))).join('  ');
  return [p.bold(line(header)), ...rows.map(line)].join('\n');
}

/** "4 nodes: 4/4 host agents, 4/4 pod agents connected". */
export function nodesHeadline(nodes: readonly ApiNode[]): string {
  const host = nodes.filter((n) => n.hostAgent);
  const pod = nodes.filter((n) => n.podAgent);
  const up = (list: ApiNode[], key: 'hostAgent' | 'podAgent') => list.filter((n) => n[key]?.connected).length;
  return `${nodes.length} node${nodes.length === 1 ? '' : 's'}: ${up(host, 'hostAgent')}/${host.length} host agents, ${up(pod, 'podAgent')}/${pod.length} pod agents connected`;
}
