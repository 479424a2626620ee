// Measures, in the lab with TLS and a bearer token, how long an agent is without a stream when
// the collector rotates its connection (GOAWAY at --max-connection-age, closed after the grace):
// from the agent's "collector closed the stream; reconnecting" to its next "connected to
// collector" (TLS handshake, token check, hello, welcome). Also counts failures the agents
// logged (should be 0) and findings opened meanwhile (should be none).
// Usage (root): node bench/connection-rotation.ts [--seconds 90] [--age 15s] (the age must exceed the agent's 10 s "stable" threshold)
import { copyFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { startStack, waitFor } from '../test/harness/stack.ts';
import { createTestPki } from '../test/harness/test-pki.ts';

const arg = (name: string, fallback: string): string => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? (process.argv[at + 1] ?? fallback) : fallback;
};
const seconds = Number(arg('seconds', '90'));
const age = arg('age', '15s');

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

async function main(): Promise<void> {
  const pki = await createTestPki();
  const tokens = await pki.write('tokens', 'bench-token-0123456789abcdef\n');
  const cert = await pki.write('served.crt', '');
  const key = await pki.write('served.key', '');
  await copyFile(pki.serverCert, cert);
  await copyFile(pki.serverKey, key);
  const stack = await startStack({
    nodes: 4,
    collectorArgs: [
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--auth-token-file',
      tokens,
      '--max-connection-age',
      age,
      '--max-connection-age-grace',
      '1s',
    ],
    agentArgs: ['--tls-ca-file', pki.caCert, '--auth-token-file', tokens],
  });
  const stopOnSignal = () => void Promise.all([stack.teardown(), pki.remove()]).then(() => process.exit(130));
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    await waitFor(
      '4 agents connected',
      async () =>
        (await stack.getJson<{ nodes: { hostAgent?: { connected: boolean } }[] }>('/api/v1/nodes')).nodes.filter(
          (n) => n.hostAgent?.connected,
        ).length === 4,
      20_000,
    );
    const findingIds = new Set<string>();
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      for (const f of await stack.findings()) findingIds.add(f.id);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const gaps: number[] = [];
    let failures = 0;
    for (const agent of stack.agents.values()) {
      let closedAt: number | undefined;
      for (const line of agent.output().split('\n')) {
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; time?: string };
        const t = Date.parse(entry.time ?? '');
        if (entry.msg === 'collector closed the stream; reconnecting') closedAt = t;
        else if (entry.msg === 'collector stream down; retrying') failures++;
        else if (entry.msg === 'connected to collector' && closedAt !== undefined) {
          gaps.push(t - closedAt);
          closedAt = undefined;
        }
      }
    }
    const sorted = gaps.sort((a, b) => a - b);
    console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Linux ${release()}, Node ${process.version}`);
    console.log(`${seconds} s, --max-connection-age ${age}, grace 1s, 4 host agents, TLS + token`);
    console.log(
      `stream closed -> reconnected: n=${sorted.length} p50=${quantile(sorted, 0.5)} ms p95=${quantile(sorted, 0.95)} ms max=${sorted.at(-1)} ms`,
    );
    console.log(`failures logged by agents: ${failures}; findings opened: ${findingIds.size ? [...findingIds].join(', ') : 'none'}`);
  } finally {
    await stack.teardown();
    await pki.remove();
  }
}

await main();
