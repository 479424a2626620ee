// Command line: `netsentry [flags] <command> [flags]`, also run as the kubectl plugin
// `kubectl netsentry`. Flags go through the shared parser, so each also reads
// NETSENTRY_<FLAG> (e.g. NETSENTRY_COLLECTOR); kubectl's short forms (-n, -o, -w) are
// accepted. Usage errors are NetsentryError INVALID_CONFIG; main maps them to exit code 64.
import { NetsentryError } from '../../shared/src/errors.ts';
import { parseFlags, usage, type FlagSpecs } from '../../shared/src/flags.ts';
import { exitCodeHelp } from './exit-codes.ts';

export const commands = {
  status: 'open findings and a reachability matrix (the worst rows on a large cluster)',
  findings: 'findings with evidence and what to do (--all: resolved too)',
  nodes: 'agents, overlay device, MTU, conntrack fill and overlay check per node',
  targets: 'Services and endpoints probed from every node (--targets-file), and which nodes fail them',
  version: 'the CLI version and the collector version',
} as const;

export type Command = keyof typeof commands;

export const outputFormats = ['text', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

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
    description: `collector HTTP URL; unset: found through the kubeconfig when there is one, else ${defaultCollectorUrl}`,
    validate: (v: string) => (normalizeCollectorUrl(v) ? undefined : 'must be an http(s) URL such as http://127.0.0.1:8080'),
  },
  kubeconfig: { type: 'string', description: 'kubeconfig file (default $KUBECONFIG, then ~/.kube/config)' },
  context: { type: 'string', description: 'kubeconfig context (default: its current context)' },
  namespace: { type: 'string', description: "namespace of the collector's Service, -n (default: the context's, else searched in all)" },
  timeout: { type: 'duration', description: 'give up on a request after this long', default: '5s' },
  output: { type: 'string', description: 'output format, -o', default: 'text', choices: outputFormats },
  json: { type: 'boolean', description: 'same as -o json', default: 'false' },
  watch: { type: 'boolean', description: 'redraw every --interval until interrupted, -w', default: 'false' },
  interval: { type: 'duration', description: 'how often --watch asks again', default: '2s' },
} as const satisfies FlagSpecs;

const commandFlags = {
  status: { ...globalFlags },
  findings: { ...globalFlags, all: { type: 'boolean', description: 'resolved findings too (kept 15 min)', default: 'false' } },
  nodes: { ...globalFlags },
  targets: { ...globalFlags },
  version: { ...globalFlags },
} as const satisfies Record<Command, FlagSpecs>;

const valueFlags = new Set(['collector', 'kubeconfig', 'context', 'namespace', 'timeout', 'output', 'interval']);
const shortFlags: Record<string, string> = { n: 'namespace', o: 'output', w: 'watch' };

export interface KubeTarget {
  kubeconfig: string | undefined;
  context: string | undefined;
  namespace: string | undefined;
}

export interface CliOptions {
  command: Command;
  /** Set by --collector or NETSENTRY_COLLECTOR; otherwise the collector is found through the kubeconfig. */
  collector: string | undefined;
  kube: KubeTarget;
  timeoutMs: number;
  output: OutputFormat;
  all: boolean;
  watch: boolean;
  intervalMs: number;
}

export type ParsedArgs = { kind: 'help'; text: string } | { kind: 'run'; options: CliOptions };

export function helpText(command?: Command): string {
  const lines = ['Usage: netsentry <command> [flags]    (as a kubectl plugin: kubectl netsentry <command> [flags])', '', 'Commands:'];
  for (const [name, what] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${what}`);
  lines.push(
    '',
    usage(`netsentry ${command ?? '<command>'}`, command ? commandFlags[command] : commandFlags.findings)
      .split('\n')
      .slice(2)
      .join('\n'),
    '',
    exitCodeHelp,
  );
  return lines.join('\n');
}

const usageError = (message: string): NetsentryError => new NetsentryError('INVALID_CONFIG', message);

/** `-n x`, `-nx`, `-n=x` → `--namespace x`; `-w` → `--watch`; anything else passes unchanged. */
function expandShort(arg: string): string[] | undefined {
  const match = /^-([a-zA-Z])(=?)(.*)$/.exec(arg);
  if (!match || match[1] === 'h') return undefined;
  const long = shortFlags[match[1]!];
  if (long === undefined) throw usageError(`unknown flag ${arg}; see --help`);
  if (!valueFlags.has(long)) {
    if (match[3]) throw usageError(`${arg.slice(0, 2)} takes no value; see --help`);
    return [`--${long}`];
  }
  return match[3] ? [`--${long}=${match[3]}`] : [`--${long}`];
}

/** argv without node and script. */
export function parseCliArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ParsedArgs {
  let command: string | undefined;
  const flags: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const given = argv[i]!;
    const expanded = given.startsWith('--') ? [given] : given.startsWith('-') ? (expandShort(given) ?? [given]) : undefined;
    if (expanded) {
      flags.push(...expanded);
      const only = expanded[0]!;
      // A value flag without `=` takes the next token, which must not be read as the command.
      if (expanded.length === 1 && !only.includes('=') && valueFlags.has(only.slice(2)) && i + 1 < argv.length) flags.push(argv[++i]!);
    } else if (command === undefined) command = given;
    else throw usageError(`unexpected argument '${given}'; see netsentry --help`);
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
  const f = parsed.flags as unknown as {
    collector?: string;
    kubeconfig?: string;
    context?: string;
    namespace?: string;
    timeout: number;
    output: OutputFormat;
    json: boolean;
    watch: boolean;
    interval: number;
    all?: boolean;
  };
  if (f.timeout <= 0) throw usageError('--timeout must be more than 0');
  if (f.interval < 500) throw usageError('--interval must be at least 500ms');
  if (f.json && f.output !== 'text' && f.output !== 'json') throw usageError(`--json and -o ${f.output} disagree; give one`);
  if (f.watch && cmd === 'version') throw usageError('version does not --watch');
  return {
    kind: 'run',
    options: {
      command: cmd,
      collector: f.collector === undefined ? undefined : normalizeCollectorUrl(f.collector)!,
      kube: { kubeconfig: f.kubeconfig, context: f.context, namespace: f.namespace },
      timeoutMs: f.timeout,
      output: f.json ? 'json' : f.output,
      all: f.all ?? false,
      watch: f.watch,
      intervalMs: f.interval,
    },
  };
}
