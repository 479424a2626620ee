// Runs the real Prometheus (Debian's /usr/bin/prometheus) for end-to-end tests: root
// namespace, 127.0.0.1 on a free port, a temp config and TSDB, scraping the lab collector
// every second and evaluating the shipped alert rules with only their `for:` shortened.
// Started by pid and stopped by pid; its temp dir is removed on stop.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const shippedRulesPath = join(repoRoot, 'charts/netsentry/files/netsentry-alerts.yaml');
export const shippedDashboardPath = join(repoRoot, 'charts/netsentry/files/netsentry-dashboard.json');
/** The job name the chart's ServiceMonitor gives the collector; NetsentryCollectorDown matches on it. */
export const collectorJob = 'netsentry-collector';

export interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; interval?: string; rules: AlertRule[] }[];
}

export interface PrometheusAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
  activeAt: string;
  value: string;
}
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface LabPrometheus {
  pid: number;
  url: string;
  /** The rules file Prometheus loaded (the shipped one with `for:` rewritten). */
  rulesPath: string;
  query(expr: string): Promise<{ status: string; resultType?: string; result: PromSample[]; error?: string }>;
  alerts(): Promise<PrometheusAlert[]>;
  /** Every rule's evaluation health as Prometheus reports it. */
  ruleHealth(): Promise<{ name: string; health: string; lastError?: string }[]>;
  /** When the rule group evaluated longest ago last evaluated (ms since the epoch): every group has evaluated since. */
  oldestEvaluationMs(): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

export function readRules(path: string): AlertRule[] {
  return (parse(readFileSync(path, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);
}

/** The shipped rules with every `for:` set to `forDuration`; nothing else changes. */
export function shortenFor(text: string, forDuration: string): string {
  const doc = parse(text) as RuleFile;
  for (const group of doc.groups) for (const rule of group.rules) if (rule.for !== undefined) rule.for = forDuration;
  return stringify(doc);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export async function startPrometheus(options: {
  /** host:port of the collector's HTTP listener as the root namespace reaches it. */
  target: string;
  forDuration?: string;
  binary?: string;
  startTimeoutMs?: number;
}): Promise<LabPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'netsentry-prometheus-'));
  const rulesPath = join(dir, 'netsentry-alerts.yaml');
  writeFileSync(rulesPath, shortenFor(readFileSync(shippedRulesPath, 'utf8'), options.forDuration ?? '2s'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    stringify({
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      rule_files: [rulesPath],
      scrape_configs: [{ job_name: collectorJob, static_configs: [{ targets: [options.target] }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    options.binary ?? '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-256 * 1024);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.once('error', (err) => {
    output += `\nspawn error: ${err.message}`;
  });
  // If the test process dies without afterAll, do not leave Prometheus behind.
  const killOnExit = () => {
    if (!exited && child.pid)
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
  };
  process.once('exit', killOnExit);

  const stop = async () => {
    if (!exited && child.pid) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 10_000);
      await exit;
      clearTimeout(timer);
    }
    process.removeListener('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? response.status}`);
    return body.data;
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    for (;;) {
      if (exited) throw new Error(`prometheus exited at start-up:\n${output}`);
      try {
        if ((await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })).ok) break;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) throw new Error(`prometheus not ready after ${options.startTimeoutMs ?? 30_000} ms:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    pid: child.pid!,
    url,
    rulesPath,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
      return { status: body.status, error: body.error, resultType: body.data?.resultType, result: body.data?.result ?? [] };
    },
    alerts: async () => (await api<{ alerts: PrometheusAlert[] }>('/api/v1/alerts')).alerts,
    ruleHealth: async () =>
      (await api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules')).groups.flatMap((g) =>
        g.rules.map((r) => ({ name: r.name, health: r.health, lastError: r.lastError })),
      ),
    oldestEvaluationMs: async () =>
      Math.min(...(await api<{ groups: { lastEvaluation: string }[] }>('/api/v1/rules')).groups.map((g) => Date.parse(g.lastEvaluation))),
    output: () => output,
    stop,
  };
}
