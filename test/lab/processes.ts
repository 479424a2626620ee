// Processes started inside lab namespaces. `ip netns exec` and `setpriv` both exec, so the
// pid we spawn is the real program; each runs as its own process-group leader so that
// stop() also reaches helpers it forked (e.g. `ip monitor`). Nothing is ever killed by name.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export const OUTPUT_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_STOP_TIMEOUT_MS = 5_000;

export interface LabProcess {
  pid: number;
  name: string;
  /** SIGTERM (or `signal`), then SIGKILL after timeoutMs; resolves the exit code (null if killed by a signal). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited: Promise<number | null>;
  /** True once the child's 'exit' (or a spawn error) was seen: a check with no timer to race. */
  hasExited(): boolean;
  /** Captured stdout+stderr so far, the last OUTPUT_LIMIT_BYTES. */
  output(): string;
}

export interface StartOptions {
  name?: string;
  uid?: number;
  env?: Record<string, string>;
  logFile?: string;
}

export interface ProcessRegistry {
  start(ns: string | null, argv: string[], opts?: StartOptions): LabProcess;
  /** Live processes. */
  list(): LabProcess[];
  stopAll(timeoutMs?: number): Promise<void>;
}

export function processArgv(ns: string | null, argv: readonly string[], uid?: number): string[] {
  if (argv.length === 0) throw new Error('start: empty argv');
  const priv = uid === undefined ? [] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--inh-caps=-all'];
  const netns = ns === null ? [] : ['ip', 'netns', 'exec', ns];
  return [...netns, ...priv, ...argv];
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export function createProcessRegistry(hooks: { onChange?: (pids: number[]) => void } = {}): ProcessRegistry {
  const live = new Map<number, LabProcess>();
  const changed = (): void => hooks.onChange?.([...live.keys()]);

  function start(ns: string | null, argv: string[], opts: StartOptions = {}): LabProcess {
    if (opts.uid !== undefined && (!Number.isInteger(opts.uid) || opts.uid < 0)) {
      throw new Error(`start: uid must be a non-negative integer, got ${opts.uid}`);
    }
    const full = processArgv(ns, argv, opts.uid);
    const [file, ...args] = full;
    const child = spawn(file as string, args, {
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error(`start: could not spawn ${full.join(' ')}`);
    const name = opts.name ?? `${argv[0] ?? 'process'}@${ns ?? 'root'}`;
    const chunks: Buffer[] = [];
    let size = 0;
    const log = opts.logFile ? createWriteStream(opts.logFile, { flags: 'a' }) : null;
    log?.on('error', () => {});
    const capture = (buf: Buffer): void => {
      chunks.push(buf);
      size += buf.length;
      while (size > OUTPUT_LIMIT_BYTES && chunks.length > 1) size -= (chunks.shift() as Buffer).length;
      log?.write(buf);
    };
    child.stdout.on('data', capture);
    child.stderr.on('data', capture);

    let done = false;
    const exited = new Promise<number | null>((resolve) => {
      const finish = (code: number | null): void => {
        if (done) return;
        done = true;
        live.delete(pid);
        changed();
        resolve(code);
      };
      child.on('error', (err) => {
        capture(Buffer.from(`[lab] spawn error: ${err.message}\n`));
        finish(null);
      });
      // 'exit', not 'close': a forked helper may hold the pipes after the process is gone.
      child.on('exit', (code) => finish(code));
      child.on('close', () => log?.end());
    });

    const proc: LabProcess = {
      pid,
      name,
      exited,
      hasExited: () => done,
      output: () => {
        const text = Buffer.concat(chunks).toString('utf8');
        return text.length > OUTPUT_LIMIT_BYTES ? text.slice(-OUTPUT_LIMIT_BYTES) : text;
      },
      async stop(signal = 'SIGTERM', timeoutMs = DEFAULT_STOP_TIMEOUT_MS) {
        if (done) return exited;
        signalGroup(pid, signal);
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), timeoutMs);
        });
        const first = await Promise.race([exited, timedOut]);
        clearTimeout(timer);
        if (first !== 'timeout') return first;
        signalGroup(pid, 'SIGKILL');
        return exited;
      },
    };
    live.set(pid, proc);
    changed();
    return proc;
  }

  return {
    start,
    list: () => [...live.values()],
    async stopAll(timeoutMs = DEFAULT_STOP_TIMEOUT_MS) {
      await Promise.all([...live.values()].map((p) => p.stop('SIGTERM', timeoutMs)));
    },
  };
}
