import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';
import { formatTargets, targetsHeadline } from './format-targets.ts';
import { plainPalette } from './palette.ts';
import type { ApiTarget } from './api-types.ts';

const web: ApiTarget = {
  name: 'default/web',
  protocol: 'tcp',
  service: { address: '198.19.0.10:80', failingFrom: ['node-4'], failingCount: 1, probedFrom: 4 },
  endpoints: [
    { address: '198.18.1.11:8080', failingFrom: [], failingCount: 0, probedFrom: 4 },
    { address: '198.18.2.11:8080', failingFrom: [], failingCount: 0, probedFrom: 0 },
  ],
};

describe('netsentry targets', () => {
  it('draws each Service address and its endpoints with the nodes that fail them', () => {
    expect(targetsHeadline([web])).toBe('1 target, 1 with failing paths');
    expect(targetsHeadline([])).toMatch(/no --targets-file/);
    const lines = formatTargets([web], plainPalette).split('\n');
    expect(lines[0]).toMatch(/^TARGET\s+PROTOCOL\s+ADDRESS\s+STATE$/);
    expect(lines[1]).toMatch(/default\/web\s+tcp\s+198\.19\.0\.10:80 \(service\)\s+✕ fails from 1\/4: node-4/);
    expect(lines[2]).toMatch(/198\.18\.1\.11:8080\s+· ok from 4 nodes/);
    expect(lines[3]).toMatch(/not probed yet/);
  });

  it('asks /api/v1/targets and prints the table, or the answer as JSON', async () => {
    const asked: string[] = [];
    const fetchImpl = (async (url: string | URL | Request) => {
      asked.push(String(url));
      return new Response(JSON.stringify({ targets: [web] }), { status: 200 });
    }) as typeof fetch;
    const run = async (argv: string[]) => {
      let stdout = '';
      const code = await runCli({
        argv,
        env: {},
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: () => undefined },
        fetch: fetchImpl,
        home: '/nonexistent-netsentry-test-home',
      });
      return { code, stdout };
    };
    const text = await run(['targets', '--collector', 'http://127.0.0.1:9']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('fails from 1/4: node-4');
    expect(asked).toEqual(['http://127.0.0.1:9/api/v1/targets']);
    const json = await run(['targets', '--collector', 'http://127.0.0.1:9', '-o', 'json']);
    expect(JSON.parse(json.stdout)).toEqual({ targets: [web] });
  });
});
