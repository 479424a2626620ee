// Running iproute2 and friends: execFile only (no shell), every call bounded in time.
import { execFile } from 'node:child_process';

export const COMMAND_TIMEOUT_MS = 30_000;

export class CommandError extends Error {
  readonly argv: readonly string[];
  readonly stderr: string;
  readonly exitCode: number | null;
  /** Whatever the command wrote to stdout before failing. */
  readonly stdout: string;
  constructor(argv: readonly string[], stderr: string, exitCode: number | null, cause?: unknown, stdout = '') {
    const text = stderr.trim() || (cause instanceof Error ? cause.message : 'failed');
    super(`${argv.join(' ')}: ${text}`, { cause });
    this.name = 'CommandError';
    this.argv = argv;
    this.stderr = stderr;
    this.exitCode = exitCode;
    this.stdout = stdout;
  }
}

/** Runs argv[0] with argv[1..]; resolves stdout, rejects with CommandError carrying stderr. */
export function run(argv: readonly string[], input?: string, timeoutMs = COMMAND_TIMEOUT_MS): Promise<string> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null;
          reject(new CommandError(argv, stderr, code, err, stdout));
        } else {
          resolve(stdout);
        }
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** `ip [-n ns] [-force] -batch -` with the lines on stdin. A null ns is the root namespace. */
export function ipBatch(ns: string | null, lines: readonly string[], opts: { force?: boolean } = {}): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  const argv = ['ip', ...(ns === null ? [] : ['-n', ns]), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  return run(argv, lines.join('\n') + '\n');
}

/** `bridge -n ns -batch -` with the lines on stdin. */
export function bridgeBatch(ns: string, lines: readonly string[], opts: { force?: boolean } = {}): Promise<string> {
  if (lines.length === 0) return Promise.resolve('');
  return run(['bridge', '-n', ns, ...(opts.force ? ['-force'] : []), '-batch', '-'], lines.join('\n') + '\n');
}

/** Errors that mean "already gone" when deleting: tolerated so faults are idempotent. */
export function isAlreadyGone(err: unknown): boolean {
  if (!(err instanceof CommandError)) return false;
  const lines = err.stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^Command failed/.test(l));
  return (
    lines.length > 0 &&
    lines.every((l) => /No such process|No such file or directory|Cannot find device|does not exist|No such device/i.test(l))
  );
}
