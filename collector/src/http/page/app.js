// The netsentry page: polls the collector's JSON API and renders findings (root causes
// first, symptoms nested), the reachability matrix, the node view and the targets (Services). Plain browser ESM, no
// build. Every value that came from agents goes through esc() before it touches HTML.
// Rendering functions are pure (data in, HTML string out) and exported, so unit tests
// import this file under Node; start() only runs in a browser.

/** Polling, not SSE: probes arrive every ~5 s anyway, and polling keeps the collector stateless per viewer. */
export const pollIntervalMs = 5000;

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
/** Escapes text for HTML content and quoted attribute values. */
export const esc = (value) => String(value ?? '').replace(/[&<>"'`]/g, (c) => escapes[c]);

const severityRank = { critical: 0, warning: 1, info: 2 };
const severityClass = (severity) => (severity in severityRank ? severity : 'info');
const severitySymbol = { critical: '✕', warning: '!', info: 'i' };

/** node-2 before node-10. One collator: localeCompare with options builds one per call (slow at 1,000 nodes). */
const collator = new Intl.Collator('en', { numeric: true });
export const naturalCompare = (a, b) => collator.compare(String(a), String(b));

export function formatSeconds(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

export function formatAge(iso, nowMs) {
  const ms = nowMs - Date.parse(iso);
  if (!Number.isFinite(ms)) return '?';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`;
}

const percent = (ratio) => `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 1 : 0)}%`;

/**
 * Root causes first: each finding beneath its `parent` as the collector decided it (the API
 * contract, shared/src/api-types.ts; the CLI draws the same tree). Keeps the collector's order.
 */
export function findingTree(findings) {
  const ids = new Set(findings.map((f) => f.id));
  // A parent outside this answer leaves the finding at the top.
  const parentOf = (f) => (f.parent !== undefined && ids.has(f.parent) ? f.parent : undefined);
  const node = (f) => ({ finding: f, children: findings.filter((c) => parentOf(c) === f.id).map(node) });
  return findings.filter((f) => parentOf(f) === undefined).map(node);
}

/** A cell's state as the collector served it, as the page's class suffix: ok, deg, fail, unk. */
const stateCode = { ok: 'ok', degraded: 'deg', failing: 'fail', unknown: 'unk' };
export function cellState(cell) {
  return stateCode[cell?.state] ?? 'unk';
}

const cellSymbol = { ok: '·', deg: '!', fail: '✕', unk: '', self: '' };
const cellWord = { ok: 'ok', deg: 'degraded', fail: 'failing', unk: 'no data' };

function rttClass(seconds) {
  if (seconds === null || seconds === undefined) return 'r0';
  return seconds < 1e-3 ? 'r0' : seconds < 1e-2 ? 'r1' : seconds < 0.1 ? 'r2' : 'r3';
}

export function cellTitle(source, destination, matrix, cell) {
  const state = cellState(cell);
  const lines = [`${source} → ${destination} (${matrix.network}/${matrix.protocol}): ${cellWord[state]}`];
  if (cell && cell.attempts) {
    lines.push(`loss ${percent(cell.lossRatio ?? 0)} (${cell.failures}/${cell.attempts} failed)`);
    lines.push(`RTT p50 ${formatSeconds(cell.rttP50Seconds)}, p95 ${formatSeconds(cell.rttP95Seconds)}`);
    if (cell.direction) lines.push(cell.direction === 'request-lost' ? 'requests never arrive' : 'replies are lost');
    if (cell.large)
      lines.push(
        `large probes (${cell.large.sizeBytes} B): ${cell.large.failures}/${cell.large.attempts} failed${cell.large.failing ? ' — failing' : ''}`,
      );
  }
  return lines.join('\n');
}

/**
 * The shown matrix's marked nodes as the collector serves them (ApiNodeMark: named by an open
 * finding, or failing on at least half of its pairs), by name: level, reasons, failing pairs.
 */
export function nodeMarks(matrix) {
  const marks = new Map();
  for (const m of matrix?.marks ?? []) marks.set(m.node, { level: m.level, reasons: m.reasons ?? [], failing: m.failing ?? 0 });
  return marks;
}

/** Sorted node names: by name, or problems first (critical mark, warning mark, failing pairs), then by name. */
export function sortNodes(names, marks, sort) {
  const score = (n) => {
    const m = marks.get(n);
    if (!m) return 0;
    return (m.level === 'critical' ? 2e6 : 1e6) + m.failing;
  };
  return [...names].sort((a, b) => (sort === 'problems' ? score(b) - score(a) : 0) || naturalCompare(a, b));
}

function markAttrs(node, marks) {
  const m = marks.get(node);
  if (!m) return { cls: '', prefix: '', title: node };
  return { cls: ` broken mark-${m.level}`, prefix: `${m.level === 'critical' ? '✕' : '!'} `, title: `${node}: ${m.reasons.join('; ')}` };
}

/**
 * What the matrix shows: node order and the header marks. While this key stays the same, a
 * poll only patches cell classes in place (10,000 cells at 100 nodes), never rebuilds the table.
 */
export function matrixLayout(matrix, marks, sort, onlyMarked = false) {
  const names = new Set(matrix?.nodes ?? []);
  for (const c of matrix?.cells ?? []) names.add(c.source).add(c.destination);
  const order = sortNodes(names, marks, sort);
  // "Marked nodes only" keeps every column (a broken node's row needs all its peers) and drops healthy rows.
  const rows = onlyMarked ? order.filter((n) => marks.has(n)) : order;
  const key = [matrix?.network, matrix?.protocol, onlyMarked, ...order.map((n) => `${n}\u0000${markAttrs(n, marks).title}`)].join('\u0001');
  const cells = new Map((matrix?.cells ?? []).map((c) => [`${c.source}\u0000${c.destination}`, c]));
  return { order, rows, key, cells };
}

/** Class and symbol of each non-self cell, row by row: the same order as the table's td[data-src]. */
export function matrixCells(layout) {
  const out = [];
  for (const s of layout.rows) {
    for (const d of layout.order) {
      if (s === d) continue;
      const cell = layout.cells.get(`${s}\u0000${d}`);
      const state = cellState(cell);
      const rtt = state === 'ok' || state === 'deg' ? ` ${rttClass(cell.rttP50Seconds)}` : '';
      out.push({ cls: `cell c-${state}${rtt}`, symbol: cellSymbol[state], state });
    }
  }
  return out;
}

export function matrixSummary(matrix, layout, cells) {
  const counts = { ok: 0, deg: 0, fail: 0, unk: 0 };
  for (const c of cells) counts[c.state]++;
  const shown = layout.rows.length === layout.order.length ? '' : ` (rows of ${layout.rows.length} marked)`;
  return `${matrix.network}/${matrix.protocol}: ${layout.order.length} nodes${shown} · ${counts.fail} failing · ${counts.deg} degraded · ${counts.ok} ok · ${counts.unk} no data · hover a cell for loss and RTT`;
}

/** Above this many nodes the grid (N² cells) is neither readable nor fast: the page shows the worst rows. */
export const gridNodeLimit = 100;
export const worstRowsShown = 50;

/** Nodes on a matrix: a ?worst= answer counts them, a full one lists them. */
export const matrixNodeCount = (matrix) => matrix?.nodeCount ?? matrix?.nodes?.length ?? 0;

/**
 * What the matrix asks the collector for: above gridNodeLimit nodes (or before the count is
 * known) only the worst rows (?worst=, O(rows), not O(nodes²) cells); the grid otherwise, and
 * for "marked nodes only" (every column of the marked rows).
 */
export function matrixRequest(view, knownNodeCount) {
  const base = `api/v1/matrix?network=${encodeURIComponent(view.network)}&protocol=${encodeURIComponent(view.protocol)}`;
  return !view.onlyMarked && (knownNodeCount === undefined || knownNodeCount > gridNodeLimit) ? `${base}&worst=${worstRowsShown}` : base;
}

/**
 * A large network as a table of its worst nodes: marked nodes first (every pair counted), then
 * nodes with other failing or degraded pairs (pairs with a marked node not counted again, since
 * that node explains them), at most 50.
 */
export function worstRows(matrix, marks) {
  if (matrix?.worst) {
    // Counted by the collector (the same rules); re-sorted here, where a critical mark ranks above a warning.
    const score = (t) =>
      (marks.has(t.node) ? (marks.get(t.node).level === 'critical' ? 2e9 : 1e9) : 0) + (t.outFailing + t.inFailing) * 1e3 + t.degraded;
    const bad = matrix.worst.map((r) => ({
      node: r.node,
      outFailing: r.outFailing,
      inFailing: r.inFailing,
      degraded: r.degraded,
      measured: r.outMeasured + r.inMeasured,
    }));
    bad.sort((a, b) => score(b) - score(a) || naturalCompare(a.node, b.node));
    return {
      total: matrixNodeCount(matrix),
      bad,
      problems: Math.max(matrix.nodesWithProblems ?? 0, bad.length),
      shown: bad.slice(0, worstRowsShown),
    };
  }
  const tallies = new Map();
  const tally = (n) =>
    tallies.get(n) ?? (tallies.set(n, { node: n, outFailing: 0, inFailing: 0, degraded: 0, measured: 0 }), tallies.get(n));
  const names = new Set(matrix?.nodes ?? []);
  for (const c of matrix?.cells ?? []) {
    names.add(c.source).add(c.destination);
    const state = cellState(c);
    if (state === 'unk' || c.source === c.destination) continue;
    for (const [n, other] of [
      [c.source, c.destination],
      [c.destination, c.source],
    ]) {
      if (!marks.has(n) && marks.has(other)) continue;
      const t = tally(n);
      t.measured++;
      if (state === 'fail' && n === c.source) t.outFailing++;
      else if (state === 'fail') t.inFailing++;
      if (state === 'deg' && n === c.source) t.degraded++;
    }
  }
  for (const n of marks.keys()) if (names.has(n)) tally(n);
  const score = (t) =>
    (marks.has(t.node) ? (marks.get(t.node).level === 'critical' ? 2e9 : 1e9) : 0) + (t.outFailing + t.inFailing) * 1e3 + t.degraded;
  const bad = [...tallies.values()].filter((t) => score(t) > 0).sort((a, b) => score(b) - score(a) || naturalCompare(a.node, b.node));
  return { total: names.size, bad, problems: bad.length, shown: bad.slice(0, worstRowsShown) };
}

export function renderWorstRows(matrix, marks) {
  const { total, problems, shown } = worstRows(matrix, marks);
  const summary = `${matrix.network}/${matrix.protocol}: ${total} nodes · ${problems === 0 ? 'no failing or degraded pair' : `${problems} with problems${problems > shown.length ? `, the ${shown.length} worst shown` : ''}`} · above ${gridNodeLimit} nodes the grid is drawn for marked rows only (Show: marked nodes only)`;
  if (shown.length === 0)
    return `<p class="matrix-summary">${esc(summary)}</p><p class="empty no-problems">· Every measured pair is ok.</p>`;
  const rows = shown.map((t) => {
    const m = markAttrs(t.node, marks);
    return `<tr class="${m.cls.trim()}"><th scope="row" class="row-head${m.cls}" data-node="${esc(t.node)}" title="${esc(m.title)}">${esc(m.prefix)}${esc(t.node)}</th><td>${t.outFailing}</td><td>${t.inFailing}</td><td>${t.degraded}</td><td>${t.measured}</td></tr>`;
  });
  return `<p class="matrix-summary">${esc(summary)}</p><table class="worst-rows" data-network="${esc(matrix.network)}" data-protocol="${esc(matrix.protocol)}"><thead><tr><th scope="col">node</th><th scope="col">failing out</th><th scope="col">failing in</th><th scope="col">degraded out</th><th scope="col">pairs measured</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderMatrix(matrix, marks, sort, onlyMarked = false) {
  if (matrix && !onlyMarked && matrixNodeCount(matrix) > gridNodeLimit) return renderWorstRows(matrix, marks);
  // Worst rows of a small network (the grid is asked for next) or while "marked nodes only" waits for its cells.
  if (matrix?.worst) return '<p class="empty">Loading…</p>';
  const layout = matrixLayout(matrix, marks, sort, onlyMarked);
  const { order } = layout;
  if (!matrix || order.length === 0) return '<p class="empty">No agents on this network yet.</p>';
  if (order.length > gridNodeLimit && !onlyMarked) return renderWorstRows(matrix, marks);
  const cells = matrixCells(layout);
  const head = order
    .map((d) => {
      const m = markAttrs(d, marks);
      return `<th scope="col" class="col-head${m.cls}" data-node="${esc(d)}" title="${esc(m.title)}"><span>${esc(m.prefix)}${esc(d)}</span></th>`;
    })
    .join('');
  let i = 0;
  const rows = layout.rows.map((s) => {
    const m = markAttrs(s, marks);
    // Cell titles are set on hover (see start()): 10,000 long attributes made every render slow.
    const tds = order.map((d) => {
      if (s === d) return '<td class="cell c-self"></td>';
      const c = cells[i++];
      return `<td class="${c.cls}" data-src="${esc(s)}" data-dst="${esc(d)}">${c.symbol}</td>`;
    });
    return `<tr class="${m.cls.trim()}"><th scope="row" class="row-head${m.cls}" data-node="${esc(s)}" title="${esc(m.title)}">${esc(m.prefix)}${esc(s)}</th>${tds.join('')}</tr>`;
  });
  return `<p class="matrix-summary">${esc(matrixSummary(matrix, layout, cells))}</p><table class="matrix" data-network="${esc(matrix.network)}" data-protocol="${esc(matrix.protocol)}"><thead><tr><th class="corner" scope="col">from ↓ to →</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const list = (items, tag = 'ul') => `<${tag}>${items.map((i) => `<li>${esc(i)}</li>`).join('')}</${tag}>`;

function renderFindingNode(tree, nowMs, depth) {
  const f = tree.finding;
  const sev = severityClass(f.severity);
  const role = depth === 0 ? (tree.children.length ? 'root cause' : '') : 'symptom';
  const resolved = f.state === 'resolved';
  const parts = [
    `<li class="finding sev-${sev}${depth ? ' symptom' : ''}${resolved ? ' resolved' : ''}" data-id="${esc(f.id)}" data-kind="${esc(f.kind)}">`,
    `<div class="finding-head"><span class="sev sev-${sev}">${severitySymbol[sev]} ${esc(sev.toUpperCase())}</span> `,
    `<strong class="kind">${esc(f.kind)}</strong> <span class="nodes">${esc((f.nodes ?? []).join(', '))}</span>`,
    role ? ` <span class="role">${esc(role)}</span>` : '',
    resolved ? ` <span class="role">resolved ${esc(formatAge(f.resolvedAt, nowMs))}</span>` : '',
    ` <span class="since" title="${esc(f.since)}">since ${esc(formatAge(f.since, nowMs))}</span></div>`,
    `<p class="summary">${esc(f.summary)}</p>`,
    `<details class="evidence" data-key="${esc(f.id)}:evidence"${depth === 0 ? ' open' : ''}><summary>Evidence (${(f.evidence ?? []).length})</summary>${list(f.evidence ?? [])}</details>`,
    `<details class="remediation" data-key="${esc(f.id)}:remediation"${depth === 0 ? ' open' : ''}><summary>What to do</summary>${list(f.remediation ?? [], 'ol')}</details>`,
    tree.children.length
      ? `<p class="explains-label">Explains ${tree.children.length} symptom${tree.children.length === 1 ? '' : 's'}:</p><ul class="findings explains">${tree.children.map((c) => renderFindingNode(c, nowMs, depth + 1)).join('')}</ul>`
      : '',
    '</li>',
  ];
  return parts.join('');
}

export function renderFindings(findings, nowMs) {
  if (findings.length === 0) return '<p class="empty no-findings">· No open findings. Every check passes.</p>';
  return `<ul class="findings">${findingTree(findings)
    .map((t) => renderFindingNode(t, nowMs, 0))
    .join('')}</ul>`;
}

function agentCell(agent, nowMs) {
  if (!agent) return '<td class="agent none">— none</td>';
  const state = agent.connected ? '● connected' : '○ disconnected';
  return `<td class="agent ${agent.connected ? 'ok' : 'bad'}" title="${esc(`version ${agent.agentVersion ?? '?'}, ${(agent.addresses ?? []).join(', ')}`)}">${esc(state)}<br><small>seen ${esc(formatAge(agent.lastSeen, nowMs))}</small></td>`;
}

const linkMtu = (agent, role) => agent?.links?.find((l) => l.role === role && l.present)?.mtu;

function nodeRow(node, marks, nowMs) {
  const host = node.hostAgent;
  const m = markAttrs(node.name, marks);
  const overlay = host?.overlay;
  const device =
    overlay && overlay.kind !== 'none'
      ? `${overlay.name || '?'} (${overlay.kind}${overlay.vni ? `, VNI ${overlay.vni}` : ''})`
      : host
        ? 'none found'
        : '–';
  const overlayMtu = linkMtu(host, 'overlay') ?? overlay?.mtu;
  const underlayMtu = linkMtu(host, 'underlay') ?? overlay?.underlayMtu;
  const mtu = host ? `${overlayMtu || '–'} / ${underlayMtu || '–'}` : '–';
  const ct = host?.conntrack;
  const fill = ct?.available && ct.maxEntries > 0 ? ct.entries / ct.maxEntries : undefined;
  const conntrack =
    fill === undefined
      ? '<td class="conntrack">n/a</td>'
      : `<td class="conntrack${fill >= 0.9 ? ' bad' : ''}"><meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="${fill.toFixed(3)}"></meter> ${esc(percent(fill))}<br><small>${esc(ct.entries)}/${esc(ct.maxEntries)}</small></td>`;
  const check = host?.overlayCheck;
  let checkCell = '<td class="check">–</td>';
  if (check) {
    const ok = check.problems.length === 0;
    const problems = check.problems.map((p) => {
      const parts = p.parts.map((part) => `${part.part} ${part.problem}`).join(', ');
      const detail = p.parts.map((part) => `${part.part}: expected ${part.expected}, actual ${part.actual}`).join('\n');
      return `<li title="${esc(detail)}">✕ ${esc(p.peer)}: ${esc(parts)}</li>`;
    });
    checkCell = `<td class="check ${ok ? 'ok' : 'bad'}">${ok ? '·' : '✕'} ${esc(check.peersOk)}/${esc(check.peersChecked)} peers ok${problems.length ? `<ul class="problems">${problems.join('')}</ul>` : ''}</td>`;
  }
  return `<tr class="${m.cls.trim()}" data-node="${esc(node.name)}"><th scope="row" class="row-head${m.cls}" title="${esc(m.title)}">${esc(m.prefix)}${esc(node.name)}</th>${agentCell(host, nowMs)}${agentCell(node.podAgent, nowMs)}<td>${esc(device)}</td><td>${esc(mtu)}</td>${conntrack}${checkCell}</tr>`;
}

export function renderNodes(nodes, marks, sort, nowMs, onlyMarked = false) {
  if (nodes.length === 0) return '<p class="empty">No agents have connected yet.</p>';
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const names = sortNodes(byName.keys(), marks, sort).filter((n) => !onlyMarked || marks.has(n));
  if (names.length === 0) return `<p class="empty">No marked node among ${nodes.length}.</p>`;
  const rows = names.map((name) => nodeRow(byName.get(name), marks, nowMs));
  return `<table class="nodes"><thead><tr><th scope="col">node</th><th scope="col">host agent</th><th scope="col">pod agent</th><th scope="col">overlay device</th><th scope="col">MTU overlay / underlay</th><th scope="col">conntrack fill</th><th scope="col">overlay check</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The node table shows a page of this many nodes by name; marked nodes come on top of it. */
export const nodePageSize = 50;
/** Marked nodes asked for one by one (the worst first); the rest are in the findings and the matrix. */
export const markedNodesFetched = 20;

/**
 * What the node table asks the collector for, so a poll costs O(what is shown), not O(nodes):
 * each marked node by name (the worst first, at most 20), and one page of nodes by name after
 * `after` (none when only marked nodes are shown).
 */
export function nodeRequests(marks, onlyMarked, after) {
  const marked = sortNodes(marks.keys(), marks, 'problems').slice(0, markedNodesFetched);
  const paths = marked.map((n) => `api/v1/nodes?node=${encodeURIComponent(n)}`);
  if (!onlyMarked) paths.push(`api/v1/nodes?limit=${nodePageSize}${after ? `&after=${encodeURIComponent(after)}` : ''}`);
  return paths;
}

/** The pager under the node table: which page of nodes by name, and buttons to move. */
export function renderNodePager(pageNumber, hasNext, markedCount, total) {
  const more =
    markedCount > markedNodesFetched ? ` · ${markedCount - markedNodesFetched} more marked nodes not listed (see the findings)` : '';
  const nav = [
    pageNumber > 1
      ? '<button type="button" data-page="first">« first</button> <button type="button" data-page="previous">‹ previous</button>'
      : '',
    hasNext ? `<button type="button" data-page="next">next ${nodePageSize} ›</button>` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return `${esc(`Page ${pageNumber} of the nodes by name (${nodePageSize} a page${total ? `, ${total} nodes` : ''}), marked nodes on top${more}`)}${nav ? ` ${nav}` : ''}`;
}

export function renderStatus(findings) {
  if (findings.length === 0) return { cls: 'ok', text: '· Healthy: no open findings.' };
  const critical = findings.filter((f) => f.severity === 'critical').length;
  const roots = findingTree(findings).length;
  const text = `${critical ? '✕' : '!'} ${findings.length} open finding${findings.length === 1 ? '' : 's'} (${critical} critical, ${roots} root cause${roots === 1 ? '' : 's'} shown first)`;
  return { cls: critical ? 'critical' : 'warning', text };
}

const viewChoices = { network: ['pod', 'host'], protocol: ['udp', 'tcp'], sort: ['problems', 'name'] };
export const defaultView = Object.freeze({ network: 'pod', protocol: 'udp', sort: 'problems', onlyMarked: false });

/** The view from the URL fragment (`#network=host&protocol=tcp&sort=name&only=marked`); unknown values fall back to defaults. */
export function viewFromHash(hash) {
  const params = new URLSearchParams(String(hash ?? '').replace(/^#/, ''));
  const view = { ...defaultView };
  for (const [key, allowed] of Object.entries(viewChoices)) {
    const value = params.get(key);
    if (allowed.includes(value)) view[key] = value;
  }
  view.onlyMarked = params.get('only') === 'marked';
  return view;
}

/** The fragment for a view: only what differs from the defaults, so the plain URL stays plain. */
export function hashFromView(view) {
  const params = new URLSearchParams();
  for (const key of Object.keys(viewChoices)) if (view[key] !== defaultView[key]) params.set(key, view[key]);
  if (view.onlyMarked) params.set('only', 'marked');
  const text = params.toString();
  return text ? `#${text}` : '';
}

// ---- targets (GET /api/v1/targets, --targets-file): kept apart from the matrix and node code ----

/** The targets table shows at most this many targets, those with failing paths first. */
export const targetRowsShown = 50;
/** Failing endpoints listed per target; the rest are counted. */
const failingEndpointsListed = 5;

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Which nodes fail one address: none, every node that probed it (the address itself), or some of them (named). */
export function failingFromText(address) {
  if (address.failingCount === 0) return address.probedFrom === 0 ? 'no results yet' : `ok from ${plural(address.probedFrom, 'node')}`;
  if (address.failingCount >= address.probedFrom) return `fails from every node (${address.failingCount})`;
  const more = address.failingCount - address.failingFrom.length;
  return `fails from ${address.failingCount} of ${address.probedFrom} nodes: ${address.failingFrom.join(', ')}${more > 0 ? ` (+${more} more)` : ''}`;
}

const failingPaths = (t) => (t.service.failingCount > 0 ? 1 : 0) + t.endpoints.filter((e) => e.failingCount > 0).length;

/** Targets with failing paths first (most first), then by name; at most targetRowsShown. */
export function sortTargets(targets) {
  const sorted = [...targets].sort((a, b) => failingPaths(b) - failingPaths(a) || naturalCompare(a.name, b.name));
  return { sorted, shown: sorted.slice(0, targetRowsShown), failing: sorted.filter((t) => failingPaths(t) > 0).length };
}

const addressSymbol = (a) => (a.failingCount > 0 ? '✕' : a.probedFrom === 0 ? '?' : '·');
const addressClass = (a) => (a.failingCount > 0 ? 'bad' : a.probedFrom === 0 ? 'none' : 'ok');

function endpointsCell(endpoints) {
  if (endpoints.length === 0) return '<td class="endpoints none">none listed</td>';
  const failing = endpoints.filter((e) => e.failingCount > 0);
  const silent = endpoints.filter((e) => e.failingCount === 0 && e.probedFrom === 0).length;
  const head =
    failing.length === 0
      ? `· ${endpoints.length - silent}/${endpoints.length} ok${silent ? `, ${silent} without results yet` : ''}`
      : `✕ ${failing.length} of ${endpoints.length} failing`;
  const items = failing.slice(0, failingEndpointsListed).map((e) => `<li>✕ <code>${esc(e.address)}</code> ${esc(failingFromText(e))}</li>`);
  if (failing.length > failingEndpointsListed) items.push(`<li>+${failing.length - failingEndpointsListed} more failing endpoints</li>`);
  return `<td class="endpoints ${failing.length ? 'bad' : 'ok'}">${esc(head)}${items.length ? `<ul class="problems">${items.join('')}</ul>` : ''}</td>`;
}

/** The Targets section: per target its Service address and endpoints, and which nodes fail them. */
export function renderTargets(targets) {
  if (targets.length === 0) return '<p class="empty">No targets configured.</p>';
  const { sorted, shown, failing } = sortTargets(targets);
  const summary = `${plural(sorted.length, 'target')} · ${failing === 0 ? 'every path ok' : `${failing} with failing paths`}${sorted.length > shown.length ? ` · the ${shown.length} worst shown (all: api/v1/targets)` : ''}`;
  const rows = shown.map((t) => {
    const bad = failingPaths(t) > 0;
    const s = t.service;
    return `<tr class="${bad ? 'broken' : ''}" data-target="${esc(t.name)}"><th scope="row"${bad ? ' class="bad"' : ''}>${bad ? '✕ ' : ''}${esc(t.name)}</th><td>${esc(t.protocol)}</td><td class="service ${addressClass(s)}"><code>${esc(s.address)}</code> ${esc(addressSymbol(s))} ${esc(failingFromText(s))}</td>${endpointsCell(t.endpoints)}</tr>`;
  });
  return `<p class="targets-summary">${esc(summary)}</p><table class="targets"><thead><tr><th scope="col">target</th><th scope="col">protocol</th><th scope="col">Service address</th><th scope="col">endpoints (probed directly)</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/**
 * Polls the targets on its own (one small request every poll interval) and shows the section
 * only when the collector has targets configured. An error keeps the last answer on screen:
 * the main poll already says the collector cannot be reached.
 */
function startTargets($, getJson) {
  const section = $('targets-section');
  let timer;
  let inFlight = false;
  let shownHtml = '';
  const refresh = async () => {
    clearTimeout(timer);
    if (inFlight) return;
    inFlight = true;
    try {
      const targets = (await getJson('api/v1/targets'))?.targets ?? [];
      section.hidden = targets.length === 0;
      const html = renderTargets(targets);
      if (html !== shownHtml) $('targets').innerHTML = shownHtml = html;
    } catch {
      // Shown by the main poll's "cannot reach the collector".
    } finally {
      inFlight = false;
      if (!document.hidden) timer = setTimeout(refresh, pollIntervalMs);
    }
  };
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
    else clearTimeout(timer);
  });
  void refresh();
}

// ---- browser side ----

function start() {
  const $ = (id) => document.getElementById(id);
  const form = $('matrix-controls');
  // The view lives in the URL fragment: a link or a reload shows the same network and order.
  const view = viewFromHash(location.hash);
  const showView = () => {
    for (const key of Object.keys(viewChoices)) {
      const input = form.querySelector(`input[name="${key}"][value="${view[key]}"]`);
      if (input) input.checked = true;
    }
    form.querySelector('input[name="only"]').checked = view.onlyMarked;
  };
  showView();
  const last = { findings: [], nodes: [], matrix: undefined, html: {}, matrixKey: '', nextAfter: undefined };
  // The node table's page: the cursors of the pages before it (the first page has none).
  const cursors = [undefined];
  // Nodes per network from the last matrix answer: which matrix request to make (matrixRequest).
  const nodeCounts = new Map();
  let timer;
  let inFlight = false;
  // The selection changed while a poll was in flight: poll again as soon as it lands.
  let again = false;

  // Re-render only what changed, and keep the operator's open/closed <details>.
  const setHtml = (id, html) => {
    if (last.html[id] === html) return;
    last.html[id] = html;
    const el = $(id);
    const open = new Map([...el.querySelectorAll('details[data-key]')].map((d) => [d.dataset.key, d.open]));
    el.innerHTML = html;
    for (const d of el.querySelectorAll('details[data-key]')) if (open.has(d.dataset.key)) d.open = open.get(d.dataset.key);
  };

  // Same layout as last time: patch classes and symbols of the cells that changed.
  const updateMatrix = (matrix, marks) => {
    if (matrix && !view.onlyMarked && matrixNodeCount(matrix) > gridNodeLimit) {
      // The worst-rows table is small: rebuilt (setHtml skips it when unchanged), no cell patching.
      last.matrixKey = '';
      setHtml('matrix', renderWorstRows(matrix, marks));
      return;
    }
    const layout = matrixLayout(matrix, marks, view.sort, view.onlyMarked);
    const el = $('matrix');
    const table = el.querySelector('table.matrix');
    if ((!matrix && last.matrix) || matrix?.worst) {
      // The answer on hand is for the previous network/protocol; the new one is on its way.
      last.matrixKey = '';
      setHtml('matrix', '<p class="empty">Loading…</p>');
      return;
    }
    if (!table || layout.key !== last.matrixKey) {
      last.matrixKey = layout.key;
      last.html.matrix = undefined;
      setHtml('matrix', renderMatrix(matrix, marks, view.sort, view.onlyMarked));
      return;
    }
    const cells = matrixCells(layout);
    const tds = table.querySelectorAll('td[data-src]');
    for (let i = 0; i < cells.length && i < tds.length; i++) {
      const td = tds[i];
      if (td.className !== cells[i].cls) td.className = cells[i].cls;
      if (td.textContent !== cells[i].symbol) td.textContent = cells[i].symbol;
    }
    el.querySelector('.matrix-summary').textContent = matrixSummary(matrix, layout, cells);
  };

  const render = () => {
    const started = performance.now();
    const now = Date.now();
    const matrix = last.matrix?.matrices?.find((m) => m.network === view.network && m.protocol === view.protocol);
    const marks = nodeMarks(matrix);
    const status = renderStatus(last.findings);
    $('status').className = `status ${status.cls}`;
    $('status').textContent = status.text;
    setHtml('findings', renderFindings(last.findings, now));
    updateMatrix(matrix, marks);
    const total = matrix ? matrixNodeCount(matrix) : undefined;
    setHtml(
      'nodes',
      view.onlyMarked && marks.size === 0
        ? `<p class="empty">No marked node among ${esc(total ?? 0)}.</p>`
        : renderNodes(last.nodes, marks, view.sort, now, view.onlyMarked),
    );
    setHtml('nodes-pager', view.onlyMarked ? '' : renderNodePager(cursors.length, last.nextAfter !== undefined, marks.size, total));
    document.title = `netsentry — ${status.text.slice(2)}`;
    // Exposed for bench/page-100-nodes.ts and for anyone wondering why the page feels slow.
    document.body.dataset.renderMs = String(Math.round(performance.now() - started));
  };

  // With --http-auth-token-file the API needs a bearer token: open the page as /#token=… (the
  // fragment never reaches a server or its logs); it is kept for this tab only.
  const fragmentToken = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fragmentToken) {
    sessionStorage.setItem('netsentry-token', fragmentToken);
    // Drop the token from the address bar; keep the view.
    history.replaceState(null, '', `${location.pathname}${location.search}${hashFromView(view)}`);
  }
  const token = sessionStorage.getItem('netsentry-token');
  const getJson = async (path) => {
    const headers = token ? { accept: 'application/json', authorization: `Bearer ${token}` } : { accept: 'application/json' };
    const response = await fetch(path, { headers, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.json();
  };
  startTargets($, getJson);

  const refresh = async () => {
    clearTimeout(timer);
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    again = false;
    try {
      const [findings, matrix] = await Promise.all([
        // Relative paths: the page may live under a sub-path (kubectl proxy, Ingress).
        getJson('api/v1/findings'),
        getJson(matrixRequest(view, nodeCounts.get(view.network))),
      ]);
      // The node table asks only for the rows it shows: the marked nodes and one page by name.
      const shown = matrix?.matrices?.find((m) => m.network === view.network && m.protocol === view.protocol);
      const marks = nodeMarks(shown);
      const answers = await Promise.all(nodeRequests(marks, view.onlyMarked, cursors.at(-1)).map((path) => getJson(path)));
      const byName = new Map();
      for (const answer of answers) for (const node of answer.nodes ?? []) byName.set(node.name, node);
      const pageAnswer = view.onlyMarked ? undefined : answers.at(-1);
      last.findings = findings.findings ?? [];
      last.nodes = [...byName.values()];
      last.nextAfter = pageAnswer?.nextAfter;
      last.matrix = matrix;
      render();
      const total = shown ? matrixNodeCount(shown) : last.nodes.length;
      // A small network found by a ?worst= answer: ask again for the grid.
      if (shown) nodeCounts.set(view.network, total);
      if (shown?.worst && total <= gridNodeLimit && !view.onlyMarked) again = true;
      $('meta').className = 'meta';
      $('meta').textContent =
        `${total} node${total === 1 ? '' : 's'} on the ${view.network} network · updated ${new Date().toLocaleTimeString()} · every ${pollIntervalMs / 1000} s`;
    } catch (err) {
      $('meta').className = 'meta stale';
      $('meta').textContent =
        `⚠ cannot reach the collector (${err?.message ?? err}); showing data from the last successful update, retrying every ${pollIntervalMs / 1000} s`;
    } finally {
      inFlight = false;
      if (again) void refresh();
      else if (!document.hidden) timer = setTimeout(refresh, pollIntervalMs);
    }
  };

  form.addEventListener('change', () => {
    const data = new FormData(form);
    view.network = String(data.get('network'));
    view.protocol = String(data.get('protocol'));
    view.sort = String(data.get('sort'));
    view.onlyMarked = data.get('only') === 'marked';
    history.replaceState(null, '', `${location.pathname}${location.search}${hashFromView(view)}`);
    render();
    void refresh();
  });
  window.addEventListener('hashchange', () => {
    Object.assign(view, viewFromHash(location.hash));
    showView();
    render();
    void refresh();
  });
  $('nodes-pager').addEventListener('click', (event) => {
    const move = event.target.closest?.('button[data-page]')?.dataset.page;
    if (move === 'next' && last.nextAfter !== undefined) cursors.push(last.nextAfter);
    else if (move === 'previous' && cursors.length > 1) cursors.pop();
    else if (move === 'first') cursors.splice(1);
    else return;
    void refresh();
  });
  // Loss and RTT of a cell, computed when the pointer reaches it (from the latest data).
  $('matrix').addEventListener('mouseover', (event) => {
    const td = event.target.closest?.('td[data-src]');
    if (!td) return;
    const matrix = last.matrix?.matrices?.find((m) => m.network === view.network && m.protocol === view.protocol);
    const cell = matrix?.cells?.find((c) => c.source === td.dataset.src && c.destination === td.dataset.dst);
    if (matrix) td.title = cellTitle(td.dataset.src, td.dataset.dst, matrix, cell);
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
    else clearTimeout(timer);
  });
  void refresh();
}

if (typeof document !== 'undefined') start();
