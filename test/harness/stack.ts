// Starts the real thing in the lab: the collector in the root namespace on the lab's
// underlay address, one host agent per node namespace as uid 65534 without capabilities.
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type LabProcess } from '../lab/lab.ts';
import { forwardNamespacePort, type ForwardedPort } from './namespace-port.ts';
import { agentNodeFlags } from '../../agent/src/node-flags.ts';
import type { ApiFinding, ApiFindingsAnswer } from '../../shared/src/api-types.ts';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const nodeBinary = process.execPath;
export const agentEntry = `${repoRoot}agent/src/main.ts`;
export const collectorEntry = `${repoRoot}collector/src/main.ts`;

/** A finding as GET /api/v1/findings serves it (the API contract in shared/). */
export type Finding = ApiFinding;

export interface Stack {
  lab: Lab;
  collector: LabProcess;
  httpUrl: string;
  /** The collector's gRPC address as the agents see it (192.0.2.1:port). */
  grpcTarget: string;
  /** The same port as the test process (root namespace) reaches it. */
  grpcFromTest: string;
  agents: Map<string, LabProcess>;
  podAgents: Map<string, LabProcess>;
  /** The resolver pod agents use, HOST:PORT, when dnsPod was given. */
  dnsServer?: string;
  startPodAgent(node: string, extraArgs?: string[]): Promise<LabProcess>;
  startAgent(node: string, extraArgs?: string[]): Promise<LabProcess>;
  stopAgent(node: string, signal?: NodeJS.Signals): Promise<void>;
  /**
   * Stops the collector with `signal` (SIGKILL = kill -9) and starts a new one on the same
   * gRPC and HTTP ports; resolves once it logged 'collector started'. `collector` is the new one.
   */
  restartCollector(signal?: NodeJS.Signals): Promise<{ stoppedAtMs: number; startedAtMs: number }>;
  findings(state?: 'open' | 'all'): Promise<Finding[]>;
  metrics(): Promise<string>;
  getJson<T>(path: string): Promise<T>;
  teardown(): Promise<void>;
}

export interface StackOptions {
  nodes?: number;
  collectorArgs?: string[];
  /** Runs once the lab exists, before the collector starts; returns more collector args (e.g. a kubeconfig reaching a server of the test). */
  beforeCollector?: (lab: Lab) => Promise<string[]>;
  agentArgs?: string[];
  /** Start host agents only on these nodes (default: every node). */
  agentNodes?: string[];
  /** Start a pod-network agent in each node's first pod namespace too. */
  podAgents?: boolean;
  podAgentArgs?: string[];
  /** Run dnsmasq in this pod (e.g. 'node-1-pod-1') serving `dnsRecords`; pod agents use it as their resolver. */
  dnsPod?: string;
  dnsRecords?: Record<string, string>;
  logger?: { info(...args: unknown[]): void };
}

/**
 * "Nothing goes wrong for `forMs`": runs `check` (which asserts) every `everyMs` until the window
 * ends, and fails unless it ran at least `forMs / everyMs / 2` times — a window the test process
 * slept through proves nothing. The work it watches (probes, reports, passes) goes on meanwhile.
 */
export async function holdsThroughout(what: string, forMs: number, check: () => Promise<void>, everyMs = 500): Promise<number> {
  const deadline = Date.now() + forMs;
  let polls = 0;
  while (Date.now() < deadline) {
    await check();
    polls += 1;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  await check();
  polls += 1;
  if (polls < forMs / everyMs / 2) throw new Error(`${what}: checked only ${polls} times in ${forMs} ms`);
  return polls;
}

/** Precision while a fault lasts: at every poll for `forMs`, every open finding must satisfy `ok`. */
export async function onlyFindingsThroughout(
  stack: Pick<Stack, 'findings'>,
  what: string,
  ok: (f: Finding) => boolean,
  forMs: number,
): Promise<void> {
  await holdsThroughout(what, forMs, async () => {
    const findings = await stack.findings();
    if (findings.some((f) => !ok(f))) {
      const summary = findings.map((f) => `${f.id} [${f.severity}] ${f.nodes.join(',')}`).sort();
      throw new Error(`${what}: unexpected findings among ${summary.join('; ')}`);
    }
  });
}

/**
 * Watches until `step` returns a value other than undefined/false: `step` asserts what must hold
 * on the way (its errors fail at once, unlike waitFor's) and says when the awaited state is there.
 */
export async function watchUntil<T>(
  what: string,
  step: () => Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await step();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Watches until `done(view())` holds, failing at once if any finding opens meanwhile. Resolves the ms it took. */
export async function quietUntil<V>(
  stack: Pick<Stack, 'findings'>,
  what: string,
  view: () => Promise<V>,
  done: (view: V) => Promise<boolean> | boolean,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  await watchUntil(
    what,
    async () => {
      const findings = await stack.findings();
      if (findings.length > 0) throw new Error(`finding open while waiting for ${what}: ${JSON.stringify(findings.map((f) => f.summary))}`);
      return done(await view());
    },
    timeoutMs,
  );
  return Date.now() - started;
}

/** Polls until `check` returns a value other than undefined/false, or throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Waits for a JSON log line with the given msg in a process's output and returns it. */
export async function waitForLogLine(proc: LabProcess, msg: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  return waitFor(
    `log line '${msg}' from ${proc.name}`,
    async () => {
      for (const line of proc.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          if (entry.msg === msg) return entry;
        } catch {
          // partial line
        }
      }
      return undefined;
    },
    timeoutMs,
  );
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const lab = await createLab({ nodes: options.nodes ?? 4, logger: options.logger });
  const forwards: ForwardedPort[] = [];
  try {
    const extraCollectorArgs = (await options.beforeCollector?.(lab)) ?? [];
    // The collector lives where 192.0.2.1 lives: the root namespace or the lab's gateway namespace.
    const startCollector = (grpcPort: number, httpPort: number): LabProcess =>
      lab.start(
        lab.gatewayNs,
        [
          nodeBinary,
          collectorEntry,
          '--grpc-listen',
          `${lab.underlayGatewayIp}:${grpcPort}`,
          '--http-listen',
          `${lab.underlayGatewayIp}:${httpPort}`,
          '--peer-set-debounce',
          '50ms',
          ...(options.collectorArgs ?? []),
          ...extraCollectorArgs,
        ],
        { name: 'collector' },
      );
    let collector = startCollector(0, 0);
    const started = await waitForLogLine(collector, 'collector started');
    const grpcTarget = `${lab.underlayGatewayIp}:${String(started.grpcPort)}`;
    // The test process (root namespace) reaches both ports through 127.0.0.1 relays.
    const reach = async (port: number): Promise<{ host: string; url: string }> => {
      if (lab.gatewayNs === null) return { host: `${lab.underlayGatewayIp}:${port}`, url: `http://${lab.underlayGatewayIp}:${port}` };
      const forward = await forwardNamespacePort(lab, lab.gatewayNs, lab.underlayGatewayIp, port);
      forwards.push(forward);
      return { host: `127.0.0.1:${forward.port}`, url: forward.url };
    };
    const httpUrl = (await reach(Number(started.httpPort))).url;
    const grpcFromTest = (await reach(Number(started.grpcPort))).host;
    const agents = new Map<string, LabProcess>();

    const startAgent = async (node: string, extraArgs: string[] = []): Promise<LabProcess> => {
      const labNode = lab.node(node);
      const proc = lab.start(
        labNode.ns,
        [
          nodeBinary,
          ...agentNodeFlags,
          agentEntry,
          '--collector',
          grpcTarget,
          '--node-name',
          node,
          '--network',
          'host',
          '--probe-listen',
          `${labNode.underlayIp}:7946`,
          ...(options.agentArgs ?? []),
          ...extraArgs,
        ],
        { name: `agent-${node}`, uid: 65534 },
      );
      agents.set(node, proc);
      await waitForLogLine(proc, 'agent started');
      return proc;
    };

    const getJson = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${httpUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      return (await response.json()) as T;
    };

    const podAgents = new Map<string, LabProcess>();
    let dnsServer: string | undefined;
    if (options.dnsPod) {
      const dns = await lab.startDns(options.dnsPod, options.dnsRecords ?? { 'kubernetes.default.svc.cluster.local': '198.18.0.1' });
      dnsServer = `${dns.address}:${dns.port}`;
    }
    const startPodAgent = async (node: string, extraArgs: string[] = []): Promise<LabProcess> => {
      const pod = lab.node(node).pods[0];
      if (!pod) throw new Error(`${node} has no pod`);
      const proc = lab.start(
        pod.ns,
        [
          nodeBinary,
          ...agentNodeFlags,
          agentEntry,
          '--collector',
          grpcTarget,
          '--node-name',
          node,
          '--network',
          'pod',
          '--probe-listen',
          `${pod.ip}:7946`,
          // Never the machine's own resolver: lab traffic stays inside the lab's address ranges.
          '--dns-server',
          dnsServer ?? 'off',
          ...(options.podAgentArgs ?? []),
          ...extraArgs,
        ],
        { name: `pod-agent-${node}`, uid: 65534 },
      );
      podAgents.set(node, proc);
      await waitForLogLine(proc, 'agent started');
      return proc;
    };

    await Promise.all(lab.nodes.filter((n) => !options.agentNodes || options.agentNodes.includes(n.name)).map((n) => startAgent(n.name)));
    if (options.podAgents) await Promise.all(lab.nodes.map((n) => startPodAgent(n.name)));

    return {
      lab,
      get collector() {
        return collector;
      },
      restartCollector: async (signal = 'SIGKILL') => {
        await collector.stop(signal);
        const stoppedAtMs = Date.now();
        // The kernel may hold the port briefly after a kill; retry the bind for a few seconds.
        for (let attempt = 1; ; attempt++) {
          collector = startCollector(Number(started.grpcPort), Number(started.httpPort));
          const outcome = await Promise.race([
            waitForLogLine(collector, 'collector started', 30_000).then(() => 'started' as const),
            collector.exited.then(() => 'exited' as const),
          ]);
          if (outcome === 'started') return { stoppedAtMs, startedAtMs: Date.now() };
          if (attempt >= 10) throw new Error(`collector did not restart: ${collector.output().slice(-500)}`);
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      },
      httpUrl,
      grpcTarget,
      grpcFromTest,
      agents,
      podAgents,
      dnsServer,
      startPodAgent,
      startAgent,
      stopAgent: async (node, signal = 'SIGTERM') => {
        const proc = agents.get(node);
        if (!proc) return;
        await proc.stop(signal);
        agents.delete(node);
      },
      findings: async (state = 'open') => (await getJson<ApiFindingsAnswer>(`/api/v1/findings?state=${state}`)).findings,
      metrics: async () => {
        const response = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(5_000) });
        return response.text();
      },
      getJson,
      teardown: async () => {
        await Promise.allSettled(forwards.map((f) => f.close()));
        await lab.teardown();
      },
    };
  } catch (err) {
    await Promise.allSettled(forwards.map((f) => f.close()));
    await lab.teardown();
    throw err;
  }
}

/** Reads one sample value from Prometheus text exposition, e.g. metricValue(text, 'x', {node: 'node-2'}). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
