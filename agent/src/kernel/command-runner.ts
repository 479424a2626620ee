// Runs iproute2 commands with a deadline; maps failures to NetsentryError once, here.
import { execFile } from 'node:child_process';
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
}

const packageOf: Record<string, string> = { ip: 'iproute2', bridge: 'iproute2', ss: 'iproute2', nft: 'nftables' };

/** The message for a binary that is not on PATH, naming the package to install. */
export function missingBinaryMessage(binary: string): string {
  const pkg = packageOf[binary.split('/').pop() ?? binary];
  return pkg ? `'${binary}' (${pkg}) not found on PATH; install ${pkg}` : `'${binary}' not found on PATH`;
}

export function createCommandRunner(options: CommandRunnerOptions): CommandRunner {
  const prefix = options.prefix ?? [];
  const maxBuffer = options.maxBufferBytes ?? 64 * 1024 * 1024;
  return {
    run(argv, signal, input) {
      const full = [...prefix, ...argv];
      const [file, ...args] = full;
      if (file === undefined) return Promise.reject(new NetsentryError('INVALID_ARGUMENT', 'empty command'));
      const text = argv.join(' ');
      return new Promise((resolve, reject) => {
        const child = execFile(file, args, { timeout: options.timeoutMs, maxBuffer, signal, encoding: 'utf8' }, (err, stdout, stderr) => {
          if (!err) return resolve(stdout);
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
          if (e.code === 'ENOENT') {
            // The missing binary is the first of the prefix (ip netns exec) or of argv.
            return reject(new NetsentryError('DEPENDENCY_MISSING', missingBinaryMessage(file), { cause: err }));
          }
          if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
            return reject(new NetsentryError('TIMEOUT', `'${text}' was aborted`, { cause: err }));
          }
          if (e.killed) {
            return reject(new NetsentryError('TIMEOUT', `'${text}' timed out after ${options.timeoutMs} ms`, { cause: err }));
          }
          if (e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            return reject(new NetsentryError('INTERNAL', `'${text}' printed more than ${maxBuffer} bytes`, { cause: err }));
          }
          if (typeof e.code === 'number') {
            const detail = stderr.trim().split('\n')[0] || `exit status ${e.code}`;
            return reject(new NetsentryError('UNAVAILABLE', `'${text}' failed: ${detail}`, { cause: err }));
          }
          reject(new NetsentryError(codeFromErrno(err), `'${text}' failed: ${e.message}`, { cause: err }));
        });
        // A child that exits before reading all of stdin (EPIPE) fails through its exit status.
        child.stdin?.on('error', () => undefined);
        child.stdin?.end(input);
      });
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
