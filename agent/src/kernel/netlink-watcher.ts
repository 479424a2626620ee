// Runs `ip monitor link route neigh` as the change trigger for overlay verification.
// Events can be missed (the process restarts, netlink overflows), so callers pair this
// with a slow periodic pass.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../../../shared/src/logger.ts';

export type SpawnFn = (file: string, args: string[]) => ChildProcess;

export interface NetlinkWatcherOptions {
  ipBinary?: string;
  /** argv prefix, e.g. ['ip', 'netns', 'exec', 'ns1'] in tests. */
  commandPrefix?: string[];
  logger: Logger;
  /** Called once per event line with 'link', 'route', 'neigh' or 'other'. Callers debounce. */
  onChange: (what: string) => void;
  spawnFn?: SpawnFn;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run that lasted this long resets the backoff. */
  stableAfterMs?: number;
}

export interface NetlinkWatcher {
  start(): void;
  /** Stops the monitor; resolves when the child has exited. */
  stop(): Promise<void>;
}

/**
 * Classifies one `ip monitor` line. Continuation lines (indented, e.g. "link/ether ...")
 * return undefined. Lines may carry a "[LINK]" style banner or a "Deleted " prefix.
 */
export function classifyMonitorLine(line: string): string | undefined {
  if (line.trim() === '' || /^\s/.test(line)) return undefined;
  let rest = line;
  const banner = /^\[(\w+)\]\s*/.exec(rest);
  if (banner?.[1]) return banner[1].toLowerCase();
  rest = rest.replace(/^Deleted\s+/, '');
  if (/^\d+:\s/.test(rest)) return 'link';
  if (/\blladdr\b|\b(PERMANENT|REACHABLE|STALE|DELAY|PROBE|FAILED|INCOMPLETE|NOARP)\s*$/.test(rest)) return 'neigh';
  if (/^(default|local|broadcast|unreachable|blackhole|prohibit|multicast|[0-9a-f.:]+(\/\d+)?)\s/i.test(rest)) return 'route';
  return 'other';
}

export function createNetlinkWatcher(options: NetlinkWatcherOptions): NetlinkWatcher {
  const log = options.logger.child({ component: 'netlink-watcher' });
  const spawnFn: SpawnFn = options.spawnFn ?? ((file, args) => spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const initial = options.initialBackoffMs ?? 500;
  const max = options.maxBackoffMs ?? 30_000;
  const stableAfter = options.stableAfterMs ?? 60_000;
  const argv = [...(options.commandPrefix ?? []), options.ipBinary ?? 'ip', 'monitor', 'link', 'route', 'neigh'];
  let child: ChildProcess | undefined;
  let running = false;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = (): void => {
    const [file, ...args] = argv;
    const startedAt = Date.now();
    const proc = spawnFn(file ?? 'ip', args);
    child = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-500);
    });
    if (proc.stdout) {
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const what = classifyMonitorLine(line);
        if (what !== undefined) options.onChange(what);
      });
    }
    let done = false;
    exited = new Promise((resolve) => {
      const finish = (reason: string): void => {
        if (done) return;
        done = true;
        resolve();
        if (child === proc) child = undefined;
        if (!running) return;
        failures = Date.now() - startedAt >= stableAfter ? 1 : failures + 1;
        const delayMs = Math.min(max, initial * 2 ** (failures - 1));
        log.warn(
          { reason, stderr: stderr.trim() || undefined, restartInMs: delayMs, restarts: failures },
          "'ip monitor' exited; restarting",
        );
        timer = setTimeout(() => {
          timer = undefined;
          if (running) launch();
        }, delayMs);
      };
      proc.once('error', (err) => finish(`spawn failed: ${err.message}`));
      proc.once('close', (code, signal) => finish(signal ? `killed by ${signal}` : `exit status ${code}`));
    });
  };

  return {
    start() {
      if (running) return;
      running = true;
      failures = 0;
      log.info({ argv }, 'netlink watcher started');
      launch();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      child?.kill('SIGTERM');
      await exited;
    },
  };
}
