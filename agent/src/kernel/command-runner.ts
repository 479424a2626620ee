// Runs iproute2 commands with a deadline; maps failures to NetsentryError once, here.
import { execFile, spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetsentryError, codeFromErrno } from '../../../shared/src/errors.ts';

export interface CommandRunner {
  /** Runs argv (no shell) and resolves with stdout; rejects with a NetsentryError. `input` is written to stdin. */
  run(argv: string[], signal?: AbortSignal, input?: string): Promise<string>;
}

export interface CommandRunnerOptions {
  timeoutMs: number;
  /** Prepended to every argv, e.g. ['ip', 'netns', 'exec', 'ns1'] in tests. */
  prefix?: string[];
  /** Defaults to 64 MiB: a 5,000-node route dump is far below that. */
  maxBufferBytes?: number;
  /**
   * A writable directory for command output (default os.tmpdir(); the chart mounts an
   * in-memory /tmp); '' = always read output through a pipe.
   */
  outputDir?: string;
}

const packageOf: Record<string, string> = { ip: 'iproute2', bridge: 'iproute2', ss: 'iproute2', nft: 'nftables' };

/** The message for a binary that is not on PATH, naming the package to install. */
export function missingBinaryMessage(binary: string): string {
  const pkg = packageOf[binary.split('/').pop() ?? binary];
  return pkg ? `'${binary}' (${pkg}) not found on PATH; install ${pkg}` : `'${binary}' not found on PATH`;
}

type Outcome = { stdout: string; stderr: string; err?: Error & { killed?: boolean; code?: unknown } };

/** The one place a failed command becomes a NetsentryError. */
function commandError(file: string, text: string, outcome: Outcome, options: { timeoutMs: number; maxBuffer: number }): NetsentryError {
  const e = outcome.err!;
  if (e.code === 'ENOENT') {
    // The missing binary is the first of the prefix (ip netns exec) or of argv.
    return new NetsentryError('DEPENDENCY_MISSING', missingBinaryMessage(file), { cause: e });
  }
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return new NetsentryError('TIMEOUT', `'${text}' was aborted`, { cause: e });
  if (e.killed) return new NetsentryError('TIMEOUT', `'${text}' timed out after ${options.timeoutMs} ms`, { cause: e });
  if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new NetsentryError('INTERNAL', `'${text}' printed more than ${options.maxBuffer} bytes`, { cause: e });
  }
  if (typeof e.code === 'number') {
    const detail = outcome.stderr.trim().split('\n')[0] || `exit status ${e.code}`;
    return new NetsentryError('UNAVAILABLE', `'${text}' failed: ${detail}`, { cause: e });
  }
  return new NetsentryError(codeFromErrno(e), `'${text}' failed: ${e.message}`, { cause: e });
}

function runThroughPipe(
  file: string,
  args: string[],
  options: { timeoutMs: number; maxBuffer: number; signal?: AbortSignal; input?: string },
): Promise<Outcome> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: options.timeoutMs, maxBuffer: options.maxBuffer, signal: options.signal, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ stdout, stderr, ...(err ? { err } : {}) }),
    );
    // A child that exits before reading all of stdin (EPIPE) fails through its exit status.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

let outputFiles = 0;

/**
 * stdout into an unlinked file in `dir`, read once after exit. A large dump read through a
 * pipe arrives in ~4 KiB writes, each a read and an event-loop turn in the agent: a
 * 5,000-route dump cost ~45 ms of the agent's CPU that way, ~10 ms from a file (BENCHMARKS.md).
 */
function runThroughFile(
  dir: string,
  file: string,
  args: string[],
  options: { timeoutMs: number; maxBuffer: number; signal?: AbortSignal; input?: string },
): Promise<Outcome> {
  const path = join(dir, `netsentry-${process.pid}-${++outputFiles}.out`);
  const fd = openSync(path, 'wx+', 0o600);
  unlinkSync(path);
  return new Promise((resolve) => {
    let stderr = '';
    let spawnError: Outcome['err'];
    let timedOut = false;
    const child = spawn(file, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', fd, 'pipe'], signal: options.signal });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
    }, options.timeoutMs);
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      try {
        if (spawnError) return resolve({ stdout: '', stderr, err: spawnError });
        if (timedOut) return resolve({ stdout: '', stderr, err: Object.assign(new Error('timed out'), { killed: true }) });
        const size = fstatSync(fd).size;
        if (size > options.maxBuffer)
          return resolve({ stdout: '', stderr, err: Object.assign(new Error('maxBuffer'), { code: 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER' }) });
        const buf = Buffer.allocUnsafe(size);
        let read = 0;
        while (read < size) {
          const n = readSync(fd, buf, read, size - read, read);
          if (n === 0) break;
          read += n;
        }
        const stdout = buf.toString('utf8', 0, read);
        resolve(
          code === 0 ? { stdout, stderr } : { stdout, stderr, err: Object.assign(new Error(`exit status ${code}`), { code: code ?? 1 }) },
        );
      } finally {
        closeSync(fd);
      }
    });
  });
}

export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const prefix = options.prefix ?? [];
  const maxBuffer = options.maxBufferBytes ?? 64 * 1024 * 1024;
  // Output through a file when the directory is writable; otherwise (read-only, full) pipes from then on.
  let outputDir = options.outputDir ?? tmpdir();
  return {
    async run(argv, signal, input) {
      const full = [...prefix, ...argv];
      const [file, ...args] = full;
      if (file === undefined) throw new NetsentryError('INVALID_ARGUMENT', 'empty command');
      const text = argv.join(' ');
      const how = { timeoutMs: options.timeoutMs, maxBuffer, signal, input };
      let outcome: Outcome | undefined;
      if (outputDir !== '') {
        try {
          outcome = await runThroughFile(outputDir, file, args, how);
        } catch {
          outputDir = '';
        }
      }
      outcome ??= await runThroughPipe(file, args, how);
      if (!outcome.err) return outcome.stdout;
      throw commandError(file, text, outcome, { timeoutMs: options.timeoutMs, maxBuffer });
    },
  };
}

export interface BinaryVersion {
  binary: string;
  version: string;
}

/**
 * Start-up check: runs `<binary> -V` for each binary. Throws one DEPENDENCY_MISSING error
 * naming every missing binary; other failures are rethrown as they are.
 */
export async function checkBinaries(runner: CommandRunner, binaries: string[], signal?: AbortSignal): Promise<BinaryVersion[]> {
  const results = await Promise.allSettled(binaries.map((b) => runner.run([b, '-V'], signal)));
  const missing: string[] = [];
  const found: BinaryVersion[] = [];
  results.forEach((r, i) => {
    const binary = binaries[i] ?? '';
    if (r.status === 'fulfilled') found.push({ binary, version: r.value.trim().split('\n')[0] ?? '' });
    else if (r.reason instanceof NetsentryError && r.reason.code === 'DEPENDENCY_MISSING') missing.push(missingBinaryMessage(binary));
    else throw r.reason;
  });
  if (missing.length > 0) throw new NetsentryError('DEPENDENCY_MISSING', missing.join('; '));
  return found;
}
