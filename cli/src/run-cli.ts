// One CLI invocation: parse, ask the collector, print, return the exit code. Everything it
// touches comes in as deps, so tests run it with a fake fetch and captured output.
import { NetsentryError } from '../../shared/src/errors.ts';
import { parseCliArgs, type CliOptions } from './cli-args.ts';
import { createCollectorClient, type CollectorClient } from './collector-client.ts';
import { exitCodeForFindings, exitCodes, type ExitCode } from './exit-codes.ts';
import { findingsHeadline, formatFindings } from './format-findings.ts';
import { formatMatrix } from './format-matrix.ts';
import { formatNodes, nodesHeadline } from './format-nodes.ts';
import { ansiPalette, plainPalette, useColour, type Palette } from './palette.ts';

export interface CliDeps {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown };
  fetch?: typeof fetch;
  now?: () => number;
}

async function execute(options: CliOptions, client: CollectorClient, palette: Palette, nowMs: number, print: (text: string) => void): Promise<ExitCode> {
  switch (options.command) {
    case 'findings': {
      const state = options.all ? 'all' : 'open';
      if (options.json) {
        // The API answer unchanged, so scripts see exactly what /api/v1/findings says.
        const body = (await client.getJson(`/api/v1/findings?state=${state}`)) as { findings?: { severity: string; state?: string }[] };
        if (!Array.isArray(body?.findings)) throw new NetsentryError('UNAVAILABLE', `unexpected answer from ${options.collector}/api/v1/findings: no "findings" list`);
        print(JSON.stringify(body, null, 2));
        return exitCodeForFindings(body.findings);
      }
      const findings = await client.findings(state);
      print(formatFindings(findings, { palette, nowMs, detail: 'full' }));
      return exitCodeForFindings(findings);
    }
    case 'nodes': {
      if (options.json) {
        print(JSON.stringify(await client.getJson('/api/v1/nodes'), null, 2));
        return exitCodes.healthy;
      }
      const nodes = await client.nodes();
      print(`${nodesHeadline(nodes)}\n\n${formatNodes(nodes, nowMs, palette)}`);
      return exitCodes.healthy;
    }
    case 'status': {
      const [findings, nodes, matrix] = await Promise.all([client.findings('open'), client.nodes(), client.matrix()]);
      print(
        [
          `netsentry status  ${findingsHeadline(findings, palette)}`,
          `collector ${options.collector} · ${nodesHeadline(nodes)}`,
          '',
          formatFindings(findings, { palette, nowMs, detail: 'compact' }),
          '',
          formatMatrix(matrix, findings, palette),
        ].join('\n'),
      );
      return exitCodeForFindings(findings);
    }
  }
}

export async function runCli(deps: CliDeps): Promise<ExitCode> {
  const print = (text: string) => deps.stdout.write(`${text}\n`);
  const fail = (text: string) => deps.stderr.write(`netsentry: ${text}\n`);
  let parsed;
  try {
    parsed = parseCliArgs(deps.argv, deps.env);
  } catch (err) {
    if (err instanceof NetsentryError && err.code === 'INVALID_CONFIG') {
      fail(err.message);
      return exitCodes.usage;
    }
    throw err;
  }
  if (parsed.kind === 'help') {
    print(parsed.text);
    return exitCodes.healthy;
  }
  const { options } = parsed;
  const palette = useColour(deps.stdout.isTTY, deps.env) ? ansiPalette : plainPalette;
  const token = deps.env.NETSENTRY_TOKEN?.trim();
  const client = createCollectorClient({ baseUrl: options.collector, timeoutMs: options.timeoutMs, ...(deps.fetch ? { fetch: deps.fetch } : {}), ...(token ? { token } : {}) });
  try {
    return await execute(options, client, palette, (deps.now ?? Date.now)(), print);
  } catch (err) {
    if (err instanceof NetsentryError) {
      fail(err.message);
      return exitCodes.unavailable;
    }
    fail(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    return exitCodes.internal;
  }
}
