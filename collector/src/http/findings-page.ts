// A minimal server-rendered page of open findings, until the real UI lands. Everything
// that came from agents is escaped.
import type { Finding } from '../findings/finding.ts';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const list = (items: string[]): string => `<ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`;

function renderFinding(finding: Finding): string {
  return [
    `<section class="finding ${escapeHtml(finding.severity)}">`,
    `<h2>[${escapeHtml(finding.severity)}] ${escapeHtml(finding.kind)} — ${escapeHtml(finding.nodes.join(', '))}</h2>`,
    `<p><strong>${escapeHtml(finding.summary)}</strong><br><small>since ${escapeHtml(finding.since)}${finding.explains.length ? ` · explains ${escapeHtml(finding.explains.join(', '))}` : ''}</small></p>`,
    `<h3>Evidence</h3>${list(finding.evidence)}`,
    `<h3>What to do</h3>${list(finding.remediation)}`,
    '</section>',
  ].join('\n');
}

export function renderFindingsPage(findings: Finding[], info: { nodesKnown: number; version: string }): string {
  const body = findings.length === 0 ? '<p>No open findings.</p>' : findings.map(renderFinding).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="5">
<title>netsentry — ${findings.length} open finding${findings.length === 1 ? '' : 's'}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}.critical h2{color:#b00020}.warning h2{color:#a05a00}li{font-family:ui-monospace,monospace;font-size:.9em}</style>
</head>
<body>
<h1>netsentry</h1>
<p>${info.nodesKnown} node${info.nodesKnown === 1 ? '' : 's'} known · ${findings.length} open finding${findings.length === 1 ? '' : 's'} · collector ${escapeHtml(info.version)} · <a href="/api/v1/findings">JSON</a> · <a href="/api/v1/nodes">nodes</a> · <a href="/metrics">metrics</a></p>
${body}
</body>
</html>
`;
}
