// Flags are data: a spec per binary, parsed and validated once, then frozen.
// Every flag also reads from NETSENTRY_<FLAG> (dashes become underscores), flags win over env.
import { NetsentryError } from './errors.ts';

type FlagType = 'string' | 'integer' | 'duration' | 'boolean' | 'list';

export interface FlagSpec {
  readonly type: FlagType;
  readonly description: string;
  readonly default?: string;
  readonly required?: boolean;
  /** Allowed values (for strings). */
  readonly choices?: readonly string[];
  /** Returns an error message when the raw value is not acceptable. */
  readonly validate?: (value: string) => string | undefined;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S['type'] extends 'integer' | 'duration'
  ? number
  : S['type'] extends 'boolean'
    ? boolean
    : S['type'] extends 'list'
      ? readonly string[]
      : string;

/** Parsed flags: camelCase keys; durations in milliseconds; absent optional flags are undefined. */
export type ParsedFlags<T extends FlagSpecs> = {
  readonly [K in keyof T as CamelCase<K & string>]:
    ValueOf<T[K]> | (T[K]['default'] extends string ? never : T[K]['required'] extends true ? never : undefined);
};

type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

export const envName = (flag: string): string => `NETSENTRY_${flag.toUpperCase().replaceAll('-', '_')}`;
const camel = (flag: string): string => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "250ms", "5s", "2m", "1h"; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (durationUnits[match[2] ?? 's'] ?? 1000));
}

function convert(flag: string, spec: FlagSpec, raw: string): unknown {
  const fail = (why: string): never => {
    throw new NetsentryError('INVALID_CONFIG', `--${flag}: ${why} (got '${raw}')`);
  };
  if (spec.choices && !spec.choices.includes(raw)) fail(`must be one of ${spec.choices.join(', ')}`);
  const problem = spec.validate?.(raw);
  if (problem) fail(problem);
  switch (spec.type) {
    case 'integer':
      return /^\d+$/.test(raw) ? Number(raw) : fail('must be a non-negative integer');
    case 'duration':
      return parseDuration(raw) ?? fail('must be a duration such as 500ms, 5s or 2m');
    case 'boolean':
      return raw === 'true' || raw === '' ? true : raw === 'false' ? false : fail('must be true or false');
    case 'list':
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    default:
      return raw;
  }
}

export function usage(program: string, specs: FlagSpecs): string {
  const lines = [`Usage: ${program} [flags]`, '', 'Flags (each also read from the environment variable shown):'];
  for (const [flag, spec] of Object.entries(specs)) {
    const fallback = spec.default !== undefined ? ` (default ${spec.default || "''"})` : spec.required ? ' (required)' : '';
    lines.push(`  --${flag.padEnd(24)} ${spec.description}${fallback}  [${envName(flag)}]`);
  }
  return lines.join('\n');
}

export type ParseOutcome<T extends FlagSpecs> = { kind: 'help'; text: string } | { kind: 'flags'; flags: ParsedFlags<T> };

/** Parses argv (without node and script) against the spec. Throws NetsentryError('INVALID_CONFIG') on bad input. */
export function parseFlags<T extends FlagSpecs>(
  program: string,
  specs: T,
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): ParseOutcome<T> {
  const raw = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') return { kind: 'help', text: usage(program, specs) };
    if (!arg.startsWith('--')) throw new NetsentryError('INVALID_CONFIG', `unexpected argument '${arg}'; see --help`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = specs[flag];
    if (!spec) throw new NetsentryError('INVALID_CONFIG', `unknown flag --${flag}; see --help`);
    if (eq !== -1) raw.set(flag, arg.slice(eq + 1));
    else if (spec.type === 'boolean' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) raw.set(flag, 'true');
    else {
      const value = argv[++i];
      if (value === undefined) throw new NetsentryError('INVALID_CONFIG', `--${flag} needs a value`);
      raw.set(flag, value);
    }
  }
  const result: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(specs)) {
    const value = raw.get(flag) ?? env[envName(flag)] ?? spec.default;
    if (value === undefined) {
      if (spec.required) throw new NetsentryError('INVALID_CONFIG', `--${flag} is required (or set ${envName(flag)})`);
      continue;
    }
    result[camel(flag)] = convert(flag, spec, value);
  }
  return { kind: 'flags', flags: Object.freeze(result) as ParsedFlags<T> };
}

/** Validates HOST:PORT (IPv6 hosts in brackets). */
export function validateHostPort(value: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) return 'must be HOST:PORT';
  return undefined;
}

export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(value.slice(at + 1)) };
}
