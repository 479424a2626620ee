// One CLI invocation: parse, find the collector, ask it, print, return the exit code.
// Everything it touches comes in as deps, so tests run it with a fake fetch and captured output.
import { stringify as toYaml } from 'yaml';
import { NetsentryError } from '../../shared/src/errors.ts';
import { version as cliVersion } from '../../shared/src/version.ts';
import { defaultCollectorUrl, parseCliArgs, type CliOptions } from './cli-args.ts';
import { createCollectorClient, type CollectorClient } from './collector-client.ts';
import { exitCodeForFindings, exitCodes, type ExitCode } from './exit-codes.ts';
import { findingsHeadline, formatFindings } from './format-findings.ts';
import { formatMatrix, statusMatrix } from './format-matrix.ts';
import { formatNodes, nodesHeadline } from './format-nodes.ts';
import { formatTargets, targetsHeadline } from './format-targets.ts';
import { kubeconfigFiles, locateCollector } from './kube-collector.ts';
import { ansiPalette, plainPalette, useColour, type Palette } from './palette.ts';

export interface CliDeps {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  fetch?: typeof fetch;
  now?: () => number;
  /** Home directory for ~/.kube/config (tests pass an empty one). */
  home?: string;
  /** Ends --watch (main wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  /** Called once when --watch starts, so main lets the first Ctrl-C end it gently. */
  onWatch?: () => void;
  /** Waits between --watch frames; resolves early when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

interface Frame {
  code: ExitCode;
  /** What -o text|wide prints. */
  text: string;
  /** What -o json|yaml prints. */
  data: unknown;
}

interface Target {
  client: CollectorClient;
  /** The collector's address as shown to the user. */
  label: string;
}

async function findingsFrame(options: CliOptions, client: CollectorClient, palette: Palette, nowMs: number): Promise<Frame> {
  const state = options.all ? 'all' : 'open';
  if (options.output === 'json' || options.output === 'yaml') {
    // The API answer unchanged, so scripts see exactly what /api/v1/findings says.
    const body = (await client.getJson(`/api/v1/findings?state=${state}`)) as { findings?: { severity: string; state?: string }[] };
    if (!Array.isArray(body?.findings))
      throw new NetsentryError('UNAVAILABLE', `unexpected answer from the collector's /api/v1/findings: no "findings" list`);
    return { code: exitCodeForFindings(body.findings), text: '', data: body };
  }
  const findings = await client.findings(state);
  return {
    code: exitCodeForFindings(findings),
    text: formatFindings(findings, { palette, nowMs, detail: options.output === 'wide' ? 'wide' : 'full' }),
    data: undefined,
  };
}

async function frame(options: CliOptions, target: Target, palette: Palette, nowMs: number): Promise<Frame> {
  const { client } = target;
  switch (options.command) {
    case 'findings':
      return findingsFrame(options, client, palette, nowMs);
    case 'nodes': {
      if (options.output === 'json' || options.output === 'yaml')
        return { code: exitCodes.healthy, text: '', data: await client.getJson('/api/v1/nodes') };
      const nodes = await client.nodes();
      return {
        code: exitCodes.healthy,
        text: `${nodesHeadline(nodes)}\n\n${formatNodes(nodes, nowMs, palette, options.output === 'wide')}`,
        data: undefined,
      };
    }
    case 'targets': {
      if (options.output === 'json' || options.output === 'yaml')
        return { code: exitCodes.healthy, text: '', data: await client.getJson('/api/v1/targets') };
      const targets = await client.targets();
      return { code: exitCodes.healthy, text: `${targetsHeadline(targets)}\n\n${formatTargets(targets, palette)}`, data: undefined };
    }
    case 'status': {
      const [findings, nodes, matrix] = await Promise.all([
        client.findings('open'),
        client.nodes(),
        statusMatrix(client, options.output === 'wide'),
      ]);
      const code = exitCodeForFindings(findings);
      const wide = options.output === 'wide';
      const text = [
        `netsentry status  ${findingsHeadline(findings, palette)}`,
        `collector ${target.label} · ${nodesHeadline(nodes)}`,
        '',
        formatFindings(findings, { palette, nowMs, detail: wide ? 'wide' : 'compact' }),
        '',
        formatMatrix(matrix, palette, { full: wide }),
      ].join('\n');
      return { code, text, data: { findings, nodes, matrices: matrix.matrices } };
    }
    case 'version': {
      const collector = await client.version();
      const data = { client: { version: cliVersion }, collector: { url: target.label, ...collector } };
      const text = `netsentry CLI ${cliVersion}\ncollector ${collector.version ?? 'unknown'}${collector.nodeVersion ? ` (Node ${collector.nodeVersion})` : ''} at ${target.label}`;
      return { code: exitCodes.healthy, text, data };
    }
  }
}

/** --collector/NETSENTRY_COLLECTOR, else the kubeconfig's cluster, else the local default. */
async function resolveTarget(options: CliOptions, deps: CliDeps): Promise<Target> {
  // A collector run with --http-auth-token-file wants a bearer token. Only on a direct
  // connection: through the API server's service proxy, Authorization is the kubeconfig's.
  const token = deps.env.NETSENTRY_TOKEN?.trim();
  const client = (baseUrl: string, doFetch?: typeof fetch, withToken = true) =>
    createCollectorClient({
      baseUrl,
      timeoutMs: options.timeoutMs,
      ...(doFetch ? { fetch: doFetch } : {}),
      ...(token && withToken ? { token } : {}),
    });
  if (options.collector !== undefined) return { client: client(options.collector, deps.fetch), label: options.collector };
  const files = kubeconfigFiles(options.kube, deps.env, deps.home);
  if (files.length === 0) {
    if (options.kube.context !== undefined || options.kube.namespace !== undefined) {
      throw new NetsentryError(
        'INVALID_CONFIG',
        'no kubeconfig found (--kubeconfig, $KUBECONFIG, ~/.kube/config) for --context/--namespace',
      );
    }
    return { client: client(defaultCollectorUrl, deps.fetch), label: defaultCollectorUrl };
  }
  const located = await locateCollector(options.kube, files, options.timeoutMs);
  return { client: client(located.baseUrl, located.fetch, false), label: located.description };
}

function render(options: CliOptions, f: Frame, watching: boolean): string {
  if (options.output === 'json') return watching ? JSON.stringify(f.data) : JSON.stringify(f.data, null, 2);
  if (options.output === 'yaml') return `${watching ? '---\n' : ''}${toYaml(f.data).trimEnd()}`;
  return f.text;
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

function usageOrThrow(err: unknown, fail: (text: string) => void): ExitCode {
  if (err instanceof NetsentryError) {
    fail(err.message);
    return err.code === 'INVALID_CONFIG' ? exitCodes.usage : exitCodes.unavailable;
  }
  fail(`internal error: ${(err as Error)?.stack ?? String(err)}`);
  return exitCodes.internal;
}

export async function runCli(deps: CliDeps): Promise<ExitCode> {
  const print = (text: string) => deps.stdout.write(`${text}\n`);
  const fail = (text: string) => deps.stderr.write(`netsentry: ${text}\n`);
  let parsed;
  try {
    parsed = parseCliArgs(deps.argv, deps.env);
  } catch (err) {
    return usageOrThrow(err, fail);
  }
  if (parsed.kind === 'help') {
    print(parsed.text);
    return exitCodes.healthy;
  }
  const { options } = parsed;
  const palette = useColour(deps.stdout.isTTY, deps.env) ? ansiPalette : plainPalette;
  const now = deps.now ?? Date.now;
  let target: Target;
  try {
    target = await resolveTarget(options, deps);
  } catch (err) {
    return usageOrThrow(err, fail);
  }
  if (!options.watch) {
    try {
      const f = await frame(options, target, palette, now());
      print(render(options, f, false));
      return f.code;
    } catch (err) {
      return usageOrThrow(err, fail);
    }
  }
  // --watch: a frame every interval until the signal; an unreachable collector is one more
  // frame (on stderr), not the end. The exit code is the last frame's.
  const sleep = deps.sleep ?? defaultSleep;
  const clearScreen = deps.stdout.isTTY && (options.output === 'text' || options.output === 'wide');
  let code: ExitCode = exitCodes.healthy;
  deps.onWatch?.();
  while (!deps.signal?.aborted) {
    try {
      const f = await frame(options, target, palette, now());
      if (clearScreen) deps.stdout.write('\u001b[H\u001b[2J');
      else if (options.output === 'text' || options.output === 'wide') print(palette.dim(`--- ${new Date(now()).toISOString()}`));
      print(render(options, f, true));
      code = f.code;
    } catch (err) {
      code = usageOrThrow(err, fail);
      if (code === exitCodes.internal || code === exitCodes.usage) return code;
    }
    await sleep(options.intervalMs, deps.signal);
  }
  return code;
}
