import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { parse as parseYaml } from 'yaml';
import { brokenMatrix, fakeFetch, largeMatrix, nowMs, rootFinding, symptomFinding } from '../../test/fixtures/cli-fixtures.ts';

interface CliRun {
  isTTY?: boolean;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

async function cli(argv: string[], fetchImpl: typeof fetch, options: CliRun = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli({
    argv,
    env: options.env ?? {},
    stdout: { write: (t: string) => (stdout += t), isTTY: options.isTTY ?? false },
    stderr: { write: (t: string) => (stderr += t) },
    fetch: fetchImpl,
    now: () => nowMs,
    home: '/nonexistent-netsentry-test-home',
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
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
    expect(stdout).toContain(
      'netsentry status  OK: no open findings\ncollector http://127.0.0.1:8080 · 4 nodes: 4/4 host agents, 4/4 pod agents connected',
    );
    expect(stdout).toContain('· No open findings.');
    expect(stdout).toContain('  2 node-2  · - · ·');
    expect(stdout).not.toContain('\u001b[');
  });

  it('status: seed 002 → exit 2, the root cause and node-2 marked; colour on a TTY', async () => {
    const { code, stdout } = await cli(['status'], fakeFetch({ findings: [rootFinding, symptomFinding], matrix: brokenMatrix('node-2') }), {
      isTTY: true,
    });
    expect(code).toBe(2);
    expect(stdout).toContain('OverlayRouteMissing');
    expect(stdout).toContain('\u001b[31m');
  });

  it('findings --json prints the API answer and still exits by severity', async () => {
    const { code, stdout } = await cli(['findings', '--json'], fakeFetch({ findings: [rootFinding] }));
    expect(code).toBe(2);
    expect(JSON.parse(stdout)).toEqual({ findings: [rootFinding] });
  });

  it('-o yaml prints the same answer as YAML; status -o json has findings, nodes and matrices', async () => {
    const yaml = await cli(['findings', '-o', 'yaml'], fakeFetch({ findings: [rootFinding] }));
    expect(yaml.code).toBe(2);
    expect(parseYaml(yaml.stdout)).toEqual({ findings: [rootFinding] });
    const status = await cli(['status', '-o', 'json'], fakeFetch({ findings: [rootFinding], matrix: brokenMatrix('node-2') }));
    expect(status.code).toBe(2);
    const body = JSON.parse(status.stdout) as { findings: unknown[]; nodes: unknown[]; matrices: unknown[] };
    expect(body.findings).toEqual([rootFinding]);
    expect(body.nodes).toHaveLength(4);
    expect(body.matrices).toHaveLength(2);
  });

  it('-o wide adds finding ids and node columns; status -o wide draws the full matrix even when large', async () => {
    const findings = await cli(['findings', '-o', 'wide'], fakeFetch({ findings: [rootFinding] }));
    expect(findings.stdout).toContain('  id: OverlayRouteMissing:node-2');
    const nodes = await cli(['nodes', '-o', 'wide'], fakeFetch({ findings: [] }));
    expect(nodes.stdout).toMatch(/NODE\s+HOST AGENT.*ADDRESS\s+POD CIDR\s+AGENT\s+RESTARTS\s+OVERLAY CHECK/);
    const big = fakeFetch({ findings: [], matrix: largeMatrix(60, 'n7') });
    const summary = await cli(['status'], big);
    expect(summary.stdout).toContain('pod network (udp, worst of): 60 nodes, the 1 worst of 1 with problems (-o wide: the full matrix)');
    expect(summary.stdout).toMatch(/✕ n7\s+59\/59\s+59\/59\s+0/);
    expect(summary.stdout).toContain('59 more nodes: the rest ok');
    const full = await cli(['status', '-o', 'wide'], big);
    expect(full.stdout.split('\n').filter((l) => / n\d+ {2}/.test(l))).toHaveLength(60);
  });

  it('status asks for the worst rows (?worst=20), and for every cell only of a network small enough to draw', async () => {
    const asked: string[] = [];
    const small = largeMatrix(5, 'n2');
    const row = (node: string, failing: number, over: Record<string, unknown> = {}) => ({
      node,
      outFailing: failing,
      outMeasured: 999,
      inFailing: failing,
      inMeasured: 999,
      degraded: 0,
      ...over,
    });
    const answer = (url: URL) => {
      if (url.searchParams.get('network') === 'pod') return small;
      return {
        matrices: [
          {
            network: 'host',
            protocol: 'udp',
            nodeCount: 1000,
            nodesWithProblems: 31,
            worst: [
              row('n37', 999, { marked: true, broken: { failing: 1998, measured: 1998 } }),
              ...Array.from({ length: 19 }, (_, i) => row(`n${i + 100}`, 1)),
            ],
          },
          { network: 'host', protocol: 'tcp', nodeCount: 1000, nodesWithProblems: 1, worst: [row('n37', 998, { marked: true })] },
          { network: 'pod', protocol: 'udp', nodeCount: 5, nodesWithProblems: 1, worst: [row('n2', 4, { marked: true })] },
        ],
      };
    };
    const inner = fakeFetch({ findings: [] });
    const spy = (async (input: string | URL | Request, init?: RequestInit) => {
      const url = new URL(String(input));
      if (!url.pathname.endsWith('/api/v1/matrix')) return inner(input, init);
      asked.push(url.search);
      return new Response(JSON.stringify(answer(url)), { headers: { 'content-type': 'application/json' } });
    }) as typeof fetch;
    const { stdout } = await cli(['status'], spy);
    expect(asked).toEqual(['?worst=20', '?network=pod']);
    expect(stdout).toContain('host network (udp+tcp, worst of): 1000 nodes, the 20 worst of 31 with problems (-o wide: the full matrix)');
    expect(stdout).toMatch(/✕ n37\s+999\/999\s+999\/999\s+0/);
    expect(stdout).toContain('980 more nodes: 11 more with problems, the rest ok or without data');
    // The small pod network is drawn as a grid from its cells.
    expect(stdout).toContain('pod network (udp, worst of; rows → columns)');
    asked.length = 0;
    await cli(['status', '-o', 'wide'], spy);
    expect(asked).toEqual(['']);
  });

  it('version: the CLI and the collector', async () => {
    const { code, stdout } = await cli(['version'], fakeFetch({ findings: [] }));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^netsentry CLI \d+\.\d+\.\d+\ncollector 9\.8\.7 \(Node v24\.0\.0\) at http:\/\/127\.0\.0\.1:8080\n$/);
    const json = JSON.parse((await cli(['version', '-o', 'json'], fakeFetch({ findings: [] }))).stdout) as {
      collector: { version: string };
    };
    expect(json.collector.version).toBe('9.8.7');
  });

  it('--watch redraws every interval, survives an unreachable collector, ends on the signal with the last exit code', async () => {
    const stop = new AbortController();
    const answers = [
      fakeFetch({ findings: [] }),
      (async () => {
        throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
      }) as unknown as typeof fetch,
      fakeFetch({ findings: [rootFinding] }),
    ];
    let frame = 0;
    const flaky = ((input: string | URL | Request, init?: RequestInit) => answers[Math.min(frame, 2)]!(input, init)) as typeof fetch;
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
      if (++frame === 3) stop.abort();
    };
    const { code, stdout, stderr } = await cli(['findings', '-w', '--interval', '3s', '-o', 'json'], flaky, { signal: stop.signal, sleep });
    expect(waits).toEqual([3000, 3000, 3000]);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { findings: unknown[] }).findings.length)).toEqual([0, 1]);
    expect(stderr).toMatch(/cannot reach the collector at http:\/\/127\.0\.0\.1:8080: connection refused/);
    expect(code).toBe(2);
  });

  it('--watch on a TTY clears the screen before each frame', async () => {
    const stop = new AbortController();
    const { stdout } = await cli(['status', '-w'], fakeFetch({ findings: [] }), {
      isTTY: true,
      signal: stop.signal,
      sleep: async () => stop.abort(),
    });
    expect(stdout.startsWith('\u001b[H\u001b[2J')).toBe(true);
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
    expect(stderr).toBe(
      'netsentry: unexpected answer from http://127.0.0.1:8080/api/v1/findings?state=open: HTTP 200, not JSON ("<html></html>"); is --collector the collector\'s HTTP address?\n',
    );
    const wrong = await cli(['nodes'], (async () => Response.json({ hello: 1 })) as unknown as typeof fetch);
    expect(wrong.stderr).toBe(
      'netsentry: unexpected answer from http://127.0.0.1:8080/api/v1/nodes: no "nodes" list; is --collector a netsentry collector?\n',
    );
    const error = await cli(['findings'], fakeFetch({ findings: [], status: 500 }));
    expect(error.stderr).toContain('HTTP 500');
    expect(error.code).toBe(3);
  });

  it('an unreachable collector → exit 3 with the reason', async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      });
    }) as unknown as typeof fetch;
    const { code, stderr } = await cli(['status', '--collector', 'http://127.0.0.1:1234'], refused);
    expect(code).toBe(3);
    expect(stderr).toMatch(/^netsentry: cannot reach the collector at http:\/\/127\.0\.0\.1:1234: connection refused/);
  });

  it('usage errors → exit 64 on stderr; help → exit 0 on stdout', async () => {
    expect(await cli(['status', '--nope'], fakeFetch({ findings: [] }))).toEqual({
      code: 64,
      stdout: '',
      stderr: 'netsentry: unknown flag --nope; see --help\n',
    });
    const help = await cli(['--help'], fakeFetch({ findings: [] }));
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
  });
});
