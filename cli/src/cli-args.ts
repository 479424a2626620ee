// Command line: `netsentry [flags] <command> [flags]`. Flags go through the shared parser, so
// each also reads NETSENTRY_<FLAG> (e.g. NETSENTRY_COLLECTOR). Usage errors are NetsentryError
// INVALID_CONFIG; main maps them to exit code 64.
import { NetsentryError } from '../../shared/src/errors.ts';
import { parseFlags, usage, type FlagSpecs } from '../../shared/src/flags.ts';
import { exitCodeHelp } from './exit-codes.ts';

export const commands = {
  status: 'open findings and a compact reachability matrix',
  findings: 'findings with evidence and what to do (--all: resolved too, --json: the API answer)',
  nodes: 'agents, overlay device, MTU, conntrack fill and overlay check per node (--json: the API answer)',
} as const;

export type Command = keyof typeof commands;

export const defaultCollectorUrl = 'http://127.0.0.1:8080';

/** http(s)://host[:port][/prefix]; a bare HOST:PORT means http://HOST:PORT. */
export function normalizeCollectorUrl(raw: string): string | undefined {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname || url.search || url.hash || url.username) return undefined;
  return url.href.replace(/\/+$/, '');
}

const globalFlags = {
  collector: {
    type: 'string',
    description: 'collector HTTP URL',
    default: defaultCollectorUrl,
    validate: (v: string) => (normalizeCollectorUrl(v) ? undefined : 'must be an http(s) URL such as http://127.0.0.1:8080'),
  },
  timeout: { type: 'duration', description: 'give up on the collector after this long', default: '5s' },
} as const satisfies FlagSpecs;

const jsonFlag = { type: 'boolean', description: 'print the API answer as JSON', default: 'false' } as const;

const commandFlags = {
  status: { ...globalFlags },
  findings: { ...globalFlags, json: jsonFlag, all: { type: 'boolean', description: 'resolved findings too (kept 15 min)', default: 'false' } },
  nodes: { ...globalFlags, json: jsonFlag },
} as const satisfies Record<Command, FlagSpecs>;

const valueFlags = new Set(['collector', 'timeout']);

export interface CliOptions {
  command: Command;
  collector: string;
  timeoutMs: number;
  json: boolean;
  all: boolean;
}

export type ParsedArgs = { kind: 'help'; text: string } | { kind: 'run'; options: CliOptions };

export function helpText(command?: Command): string {
  const lines = ['Usage: netsentry <command> [flags]', '', 'Commands:'];
  for (const [name, what] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${what}`);
  lines.push('', usage(`netsentry ${command ?? '<command>'}`, command ? commandFlags[command] : commandFlags.findings).split('\n').slice(2).join('\n'), '', exitCodeHelp);
  return lines.join('\n');
}

const usageError = (message: string): NetsentryError => new NetsentryError('INVALID_CONFIG', message);

/** argv without node and script. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  let command: string | undefined;
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg.startsWith('-')) {
      flags.push(arg);
      // A value flag without `=` takes the next token, which must not be read as the command.
      if (valueFlags.has(arg.slice(2)) && i + 1 < argv.length) flags.push(argv[++i]!);
    } else if (command === undefined) command = arg;
    else throw usageError(`unexpected argument '${arg}'; see netsentry --help`);
  }
  if (command === 'help') return { kind: 'help', text: helpText() };
  if (command === undefined) {
    if (flags.includes('--help') || flags.includes('-h')) return { kind: 'help', text: helpText() };
    throw usageError(`a command is needed: ${Object.keys(commands).join(', ')}; see netsentry --help`);
  }
  if (!Object.hasOwn(commands, command)) throw usageError(`unknown command '${command}'; commands: ${Object.keys(commands).join(', ')}`);
  const cmd = command as Command;
  const parsed = parseFlags(`netsentry ${cmd}`, commandFlags[cmd] as FlagSpecs, flags, env);
  if (parsed.kind === 'help') return { kind: 'help', text: helpText(cmd) };
  const f = parsed.flags as unknown as { collector: string; timeout: number; json?: boolean; all?: boolean };
  if (f.timeout <= 0) throw usageError('--timeout must be more than 0');
  return { kind: 'run', options: { command: cmd, collector: normalizeCollectorUrl(f.collector)!, timeoutMs: f.timeout, json: f.json ?? false, all: f.all ?? false } };
}
