import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { brokenMatrix, fakeFetch, nowMs, rootFinding, symptomFinding } from './test-fixtures.ts';

async function cli(argv: string[], fetchImpl: typeof fetch, options: { isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: options.env ?? {},
    stdout: { write: (t: string) => (stdout += t), isTTY: options.isTTY ?? false },
    stderr: { write: (t: string) => (stderr += t) },
    fetch: fetchImpl,
    now: () => nowMs,
  });
  return { code, stdout, stderr };
}

describe('netsentry CLI', () => {
  it('sends NETSENTRY_TOKEN as a bearer token', async () => {
    const seen: (string | null)[] = [];
    const inner = fakeFetch({ findings: [] });
    const spy = (async (url: string | URL | Request, init?: RequestInit) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      return inner(url, init);
    }) as typeof fetch;
    expect((await cli(['status'], spy, { env: { NETSENTRY_TOKEN: 'secret-token-1234\n' } })).code).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((h) => h === 'Bearer secret-token-1234')).toBe(true);
  });

  it('status: healthy → exit 0, no open findings, the matrix', async () => {
    const { code, stdout, stderr } = await cli(['status'], fakeFetch({ findings: [] }));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('netsentry status  OK: no open findings\ncollector http://127.0.0.1:8080 · 4 nodes: 4/4 host agents, 4/4 pod agents connected');
    expect(stdout).toContain('· No open findings.');
    expect(stdout).toContain('  2 node-2  · - · ·');
    expect(stdout).not.toContain('\u001b[');
  });

  it('status: seed 002 → exit 2, the root cause and node-2 marked; colour on a TTY', async () => {
    const { code, stdout } = await cli(['status'], fakeFetch({ findings: [rootFinding, symptomFinding], matrix: brokenMatrix('node-2') }), { isTTY: true });
    expect(code).toBe(2);
    expect(stdout).toContain('OverlayRouteMissing');
    expect(stdout).toContain('\u001b[31m');
  });

  it('findings --json prints the API answer and still exits by severity', async () => {
    const { code, stdout } = await cli(['findings', '--json'], fakeFetch({ findings: [rootFinding] }));
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ findings: [rootFinding] });
  });

  it('nodes --json prints the nodes answer', async () => {
    const { code, stdout } = await cli(['nodes', '--json'], fakeFetch({ findings: [] }));
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as { nodes: unknown[] }).nodes).toHaveLength(4);
  });

  it('an answer that is not the API → exit 3 with what is wrong', async () => {
    const html = (async () => new Response('<html></html>', { status: 200 })) as unknown as typeof fetch;
    const { code, stderr } = await cli(['findings'], html);
    expect(code).toBe(3);
    expect(stderr).toBe('netsentry: unexpected answer from http://127.0.0.1:8080/api/v1/findings?state=open: HTTP 200, not JSON ("<html></html>"); is --collector the collector\'s HTTP address?\n');
    const wrong = await cli(['nodes'], (async () => Response.json({ hello: 1 })) as unknown as typeof fetch);
    expect(wrong.stderr).toBe('netsentry: unexpected answer from http://127.0.0.1:8080/api/v1/nodes: no "nodes" list; is --collector a netsentry collector?\n');
    const error = await cli(['findings'], fakeFetch({ findings: [], status: 500 }));
    expect(error.stderr).toContain('HTTP 500');
    expect(error.code).toBe(3);
  });

  it('an unreachable collector → exit 3 with the reason', async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    }) as unknown as typeof fetch;
    const { code, stderr } = await cli(['status', '--collector', 'http://127.0.0.1:1234'], refused);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^netsentry: cannot reach the collector at http:\/\/127\.0\.0\.1:1234: connection refused/);
  });

  it('usage errors → exit 64 on stderr; help → exit 0 on stdout', async () => {
    expect(await cli(['status', '--nope'], fakeFetch({ findings: [] }))).toEqual({ code: 64, stdout: '', stderr: 'netsentry: unknown flag --nope; see --help\n' });
    const help = await cli(['--help'], fakeFetch({ findings: [] }));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });
});
