import { describe, expect, it } from 'vitest';
import { normalizeCollectorUrl, parseCliArgs } from './cli-args.ts';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCliArgs(argv, env);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return parsed.options;
};

describe('netsentry arguments', () => {
  it('defaults: no collector (found later through the kubeconfig or the local default), text, 5 s timeout', () => {
    expect(run(['status'])).toEqual({
      command: 'status',
      collector: undefined,
      kube: { kubeconfig: undefined, context: undefined, namespace: undefined },
      timeoutMs: 5000,
      output: 'text',
      all: false,
      watch: false,
      intervalMs: 2000,
    });
  });

  it('takes flags before or after the command, with or without =', () => {
    expect(run(['--collector', 'http://c:9090', 'findings', '--json', '--all', '--timeout=2s'])).toMatchObject({
      command: 'findings',
      collector: 'http://c:9090',
      timeoutMs: 2000,
      output: 'json',
      all: true,
    });
    expect(run(['--json', 'nodes']).output).toBe('json');
    expect(run(['status', '--json']).output).toBe('json');
  });

  it("takes kubectl's short forms: -n, -o (spaced, joined or with =), -w", () => {
    expect(run(['-n', 'monitoring', 'status', '-o', 'wide', '-w'])).toMatchObject({
      kube: { namespace: 'monitoring' },
      output: 'wide',
      watch: true,
    });
    expect(run(['findings', '-oyaml', '-n=kube-system']).output).toBe('yaml');
    expect(run(['findings', '-o=json']).output).toBe('json');
    expect(run(['nodes', '--context', 'prod', '--kubeconfig', '/tmp/kc', '--interval', '5s'])).toMatchObject({
      kube: { context: 'prod', kubeconfig: '/tmp/kc' },
      intervalMs: 5000,
    });
    expect(run(['version']).command).toBe('version');
  });

  it('reads NETSENTRY_COLLECTOR and NETSENTRY_TIMEOUT; the flag wins', () => {
    expect(run(['status'], { NETSENTRY_COLLECTOR: 'https://collector.example:8443/prefix/' }).collector).toBe(
      'https://collector.example:8443/prefix',
    );
    expect(run(['status', '--collector', '127.0.0.1:1234'], { NETSENTRY_COLLECTOR: 'http://x' }).collector).toBe('http://127.0.0.1:1234');
    expect(run(['status'], { NETSENTRY_TIMEOUT: '750ms' }).timeoutMs).toBe(750);
  });

  it('normalizes collector URLs and refuses what is not http(s)', () => {
    expect(normalizeCollectorUrl('collector:8080')).toBe('http://collector:8080');
    expect(normalizeCollectorUrl('[::1]:8080')).toBe('http://[::1]:8080');
    expect(normalizeCollectorUrl('ftp://x')).toBeUndefined();
    expect(normalizeCollectorUrl('http://x/?q=1')).toBeUndefined();
    expect(normalizeCollectorUrl('http://')).toBeUndefined();
  });

  it('answers help with the commands and the exit codes', () => {
    for (const argv of [['--help'], ['-h'], ['help'], ['status', '--help']]) {
      const parsed = parseCliArgs(argv);
      expect(parsed.kind).toBe('help');
      if (parsed.kind === 'help') expect(parsed.text).toMatch(/Commands:[\s\S]*status[\s\S]*Exit codes:[\s\S]*64/);
    }
  });

  it.each([
    [['status', '--bogus'], 'unknown flag --bogus; see --help'],
    [['frobnicate'], "unknown command 'frobnicate'; commands: status, findings, nodes, targets, version"],
    [[], 'a command is needed: status, findings, nodes, targets, version; see netsentry --help'],
    [['status', 'extra'], "unexpected argument 'extra'; see netsentry --help"],
    [['status', '-x'], 'unknown flag -x; see --help'],
    [['status', '-wx'], '-w takes no value; see --help'],
    [['status', '-o', 'table'], "--output: must be one of text, wide, json, yaml (got 'table')"],
    [['status', '--json', '-o', 'yaml'], '--json and -o yaml disagree; give one'],
    [['status', '-w', '--interval', '100ms'], '--interval must be at least 500ms'],
    [['version', '-w'], 'version does not --watch'],
    [['nodes', '--all'], 'unknown flag --all; see --help'],
    [['status', '--collector', 'ftp://x'], "--collector: must be an http(s) URL such as http://127.0.0.1:8080 (got 'ftp://x')"],
    [['status', '--timeout', 'soon'], "--timeout: must be a duration such as 500ms, 5s or 2m (got 'soon')"],
    [['status', '--timeout', '0s'], '--timeout must be more than 0'],
    [['status', '--collector'], '--collector needs a value'],
  ])('refuses %j with a usage error', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message }));
  });
});
