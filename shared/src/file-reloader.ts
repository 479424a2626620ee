// Re-reads a few small files (a token file, a certificate and its key) on a fixed interval and
// hands a freshly parsed value over when their bytes changed. Polling, not fs.watch: a
// Kubernetes Secret volume is updated by swapping a symlink, which inotify on the file misses.
// A bad new version is logged and the last good value stays in force.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { NetsentryError, codeFromErrno } from './errors.ts';
import type { Logger } from './logger.ts';

export interface FileReloader<T> {
  /** The last value that parsed. */
  current(): T;
  /** Re-reads now (the interval calls this); resolves once done. */
  check(): Promise<void>;
  close(): void;
}

export interface FileReloaderOptions<T> {
  /** What the files are, for messages ("auth token file"). */
  what: string;
  paths: readonly string[];
  /** Throws an Error with a plain reason when the contents are not acceptable. */
  parse: (contents: readonly Buffer[]) => T;
  onChange?: (value: T) => void;
  intervalMs: number;
  logger: Logger;
}

/** Reads a file for a start-up check; a missing or unreadable file is a clear INVALID_CONFIG error. */
export function readConfigFile(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const code = codeFromErrno(err);
    const why =
      code === 'NOT_FOUND' ? 'does not exist' : code === 'PERMISSION_DENIED' ? 'is not readable by this user' : (err as Error).message;
    throw new NetsentryError('INVALID_CONFIG', `${what} ${path} ${why}`, { cause: err });
  }
}

/** Loads the files once (throwing INVALID_CONFIG when they are missing or do not parse), then polls. */
export function createFileReloader<T>(options: FileReloaderOptions<T>): FileReloader<T> {
  const { what, paths, parse, logger } = options;
  const initial = paths.map((path) => readConfigFile(what, path));
  let value: T;
  try {
    value = parse(initial);
  } catch (err) {
    throw new NetsentryError('INVALID_CONFIG', `${what} ${paths.join(', ')}: ${(err as Error).message}`, { cause: err });
  }
  let lastBytes = initial;
  let lastProblem: string | undefined;
  let running: Promise<void> | undefined;

  const same = (a: readonly Buffer[], b: readonly Buffer[]): boolean => a.length === b.length && a.every((buf, i) => buf.equals(b[i]!));
  // One line per distinct problem, not one every interval while it lasts.
  const problem = (message: string): void => {
    if (message === lastProblem) return;
    lastProblem = message;
    logger.error({ files: paths }, `${what}: ${message}; keeping the previous version`);
  };

  const check = async (): Promise<void> => {
    let contents: Buffer[];
    try {
      contents = await Promise.all(paths.map((path) => readFile(path)));
    } catch (err) {
      return problem(`cannot read (${(err as Error).message})`);
    }
    if (same(contents, lastBytes)) return;
    let next: T;
    try {
      next = parse(contents);
    } catch (err) {
      // Files of a pair (certificate, key) are not replaced atomically together: a mismatch
      // seen once may be a half-done rotation, so the bytes are not remembered and the next
      // pass tries again.
      return problem(`new version rejected: ${(err as Error).message}`);
    }
    lastBytes = contents;
    lastProblem = undefined;
    value = next;
    logger.info({ files: paths }, `${what} reloaded`);
    options.onChange?.(next);
  };

  const timer = setInterval(() => {
    running ??= check().finally(() => {
      running = undefined;
    });
  }, options.intervalMs);
  timer.unref();

  return {
    current: () => value,
    check: () =>
      (running ??= check().finally(() => {
        running = undefined;
      })),
    close: () => clearInterval(timer),
  };
}
