// Exit codes scripts can rely on (also in cli/README.md and `netsentry --help`).
export const exitCodes = {
  /** Answered, and no open finding is critical or warning. */
  healthy: 0,
  /** Warning findings open, none critical. */
  warning: 1,
  /** At least one critical finding open. */
  critical: 2,
  /** The collector could not be reached, timed out, or gave an answer that is not its API. */
  unavailable: 3,
  /** Unknown command or flag, bad flag value (EX_USAGE). */
  usage: 64,
  /** A bug in the CLI itself (EX_SOFTWARE). */
  internal: 70,
} as const;

export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/** From the open findings only: resolved ones (findings --all) never change the code. */
export function exitCodeForFindings(findings: readonly { severity: string; state?: string }[]): ExitCode {
  const open = findings.filter((f) => (f.state ?? 'open') === 'open');
  if (open.some((f) => f.severity === 'critical')) return exitCodes.critical;
  if (open.some((f) => f.severity === 'warning')) return exitCodes.warning;
  return exitCodes.healthy;
}

export const exitCodeHelp = [
  'Exit codes:',
  '  0   healthy: no open critical or warning finding (nodes: answered)',
  '  1   warning findings open, none critical',
  '  2   critical findings open',
  '  3   collector unreachable, timed out, or not answering with its API',
  '  64  usage error: unknown command or flag, bad value',
  '  70  internal error in the CLI',
].join('\n');
