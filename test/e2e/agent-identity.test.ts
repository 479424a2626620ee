// Agent identity and transport in the lab: the collector serves TLS and requires a bearer
// token; real agents (uid 65534, no capabilities) connect with the right CA and token, and the
// wrong or missing ones are refused clearly while every process keeps running. Certificates
// come from openssl (test/harness/test-pki.ts) in a temp dir readable by uid 65534.
import { copyFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabProcess } from '../lab/lab.ts';
import { agentEntry, metricValue, startStack, waitFor, waitForLogLine, type Stack } from '../harness/stack.ts';
import { createTestPki, type TestPki } from '../harness/test-pki.ts';

const token = 'lab-token-4f0c2a9e8b7d6c5b4a39';
const wrongToken = 'lab-token-wrong-000000000000';
let pki: TestPki;
let stack: Stack;
let files: { cert: string; key: string; tokens: string; wrongTokens: string; bundle: string };

interface NodeView {
  name: string;
  hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number } };
}
const nodes = async (): Promise<NodeView[]> => (await stack.getJson<{ nodes: NodeView[] }>('/api/v1/nodes')).nodes;
const connected = async (name: string): Promise<boolean> => (await nodes()).some((n) => n.name === name && n.hostAgent?.connected === true);
const unauthenticated = async (): Promise<number> =>
  metricValue(await stack.metrics(), 'netsentry_stream_errors_total', { reason: 'unauthenticated' }) ?? NaN;
/** No 'exit' seen: each caller first waits for an event after the refusal (more refusals, a retry line). */
const running = (proc: LabProcess): boolean => !proc.hasExited();
const logLines = (proc: LabProcess, msg: RegExp): Record<string, unknown>[] =>
  proc
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        return {};
      }
    })
    .filter((e) => typeof e.msg === 'string' && msg.test(e.msg));

beforeAll(async () => {
  pki = await createTestPki();
  // The collector watches these paths; the rotation test overwrites them.
  files = {
    cert: await pki.write('served.crt', ''),
    key: await pki.write('served.key', ''),
    tokens: await pki.write('tokens', `# agents send the first token\n${token}\n`),
    wrongTokens: await pki.write('wrong-tokens', `${wrongToken}\n`),
    // Nodes 1-3 trust both CAs, so they ride through the certificate rotation below.
    bundle: await pki.write('bundle.crt', ''),
  };
  await copyFile(pki.serverCert, files.cert);
  await copyFile(pki.serverKey, files.key);
  const { readFile, writeFile } = await import('node:fs/promises');
  await writeFile(files.bundle, `${await readFile(pki.caCert, 'utf8')}${await readFile(pki.otherCaCert, 'utf8')}`);
  stack = await startStack({
    nodes: 4,
    agentNodes: ['node-1', 'node-2', 'node-3'],
    collectorArgs: [
      '--tls-cert-file',
      files.cert,
      '--tls-key-file',
      files.key,
      '--auth-token-file',
      files.tokens,
      // Short, so the test sees agents rotate their connections (GOAWAY) and come back.
      '--max-connection-age',
      '15s',
      '--max-connection-age-grace',
      '1s',
    ],
    agentArgs: ['--tls-ca-file', files.bundle, '--auth-token-file', files.tokens],
  });
}, 90_000);

afterAll(async () => {
  await stack?.teardown();
  await pki?.remove();
});

/** node-4's agent with exactly these credential flags (none of the stack's defaults). */
function startNode4(credentialArgs: string[], name: string): LabProcess {
  const node = stack.lab.node('node-4');
  return stack.lab.start(
    node.ns,
    [
      process.execPath,
      agentEntry,
      '--collector',
      stack.grpcTarget,
      '--node-name',
      'node-4',
      '--network',
      'host',
      '--probe-listen',
      `${node.underlayIp}:7946`,
      '--reconnect-max-backoff',
      '2s',
      ...credentialArgs,
    ],
    { name, uid: 65534 },
  );
}

describe('agent identity and transport in a 4-node lab', () => {
  it('connects agents with the right CA and token over TLS, and findings work', async () => {
    await waitFor(
      'node-1..3 connected and verifying',
      async () => {
        const list = await nodes();
        return ['node-1', 'node-2', 'node-3'].every((name) =>
          list.some((n) => n.name === name && n.hostAgent?.connected && n.hostAgent.overlayCheck?.peersChecked === 2),
        );
      },
      20_000,
    );
    expect(await waitForLogLine(stack.agents.get('node-1')!, 'collector connection uses TLS')).toMatchObject({ clientCertificate: false });
    expect(await waitForLogLine(stack.collector, 'gRPC port serves TLS')).toMatchObject({ mutualTls: false });
    expect(await waitForLogLine(stack.collector, 'agents must present a bearer token')).toMatchObject({ tokens: 1 });

    await stack.lab.deleteOverlayRoutes('node-2', ['node-1']);
    const finding = await waitFor('OverlayRouteMissing for node-2', async () =>
      (await stack.findings()).find((f) => f.kind === 'OverlayRouteMissing'),
    );
    expect(finding.nodes).toEqual(['node-2']);
    expect(finding.peer).toBe('node-1');
    await stack.lab.restoreOverlay('node-2');
    await waitFor('the finding to resolve', async () => (await stack.findings()).length === 0);
    expect(await unauthenticated()).toBe(0);
  }, 60_000);

  it('refuses a wrong token with UNAUTHENTICATED: agent says so and keeps retrying, metric counts, one collector line', async () => {
    const agent = startNode4(['--tls-ca-file', pki.caCert, '--auth-token-file', files.wrongTokens], 'agent-node-4-wrong-token');
    try {
      const line = await waitForLogLine(
        agent,
        "the collector refused this agent's bearer token (UNAUTHENTICATED): check that --auth-token-file holds a token listed in the collector's --auth-token-file",
      );
      expect(line).toMatchObject({ level: 'error', code: 'UNAUTHENTICATED' });
      // Retries go on with backoff: three refusals counted, the process still runs.
      await waitFor('3 refusals counted', async () => (await unauthenticated()) >= 3, 15_000);
      expect(running(agent)).toBe(true);
      expect(await connected('node-4')).toBe(false);
      const refusals = logLines(stack.collector, /^refused agent stream: missing or invalid bearer token$/);
      expect(refusals).toHaveLength(1);
      expect(refusals[0]).toMatchObject({ why: 'invalid', code: 'UNAUTHENTICATED' });
      expect(String(refusals[0]!.peer)).toMatch(/^192\.0\.2\.14:\d+$/);
      expect(agent.output()).not.toContain(wrongToken);
    } finally {
      await agent.stop();
    }
  }, 40_000);

  it('refuses a missing token the same way (and the collector stays quiet about the same address)', async () => {
    const before = await unauthenticated();
    const agent = startNode4(['--tls-ca-file', pki.caCert], 'agent-node-4-no-token');
    try {
      await waitForLogLine(
        agent,
        "the collector refused this agent's bearer token (UNAUTHENTICATED): check that --auth-token-file holds a token listed in the collector's --auth-token-file",
      );
      await waitFor('2 more refusals counted', async () => (await unauthenticated()) >= before + 2, 15_000);
      expect(running(agent)).toBe(true);
      expect(await connected('node-4')).toBe(false);
      expect(logLines(stack.collector, /^refused agent stream/)).toHaveLength(1);
    } finally {
      await agent.stop();
    }
  }, 40_000);

  it('fails clearly when the agent trusts another CA, and keeps retrying', async () => {
    const before = await unauthenticated();
    const agent = startNode4(['--tls-ca-file', pki.otherCaCert, '--auth-token-file', files.tokens], 'agent-node-4-wrong-ca');
    try {
      const line = await waitForLogLine(
        agent,
        "TLS: the collector's certificate verification failed: check --tls-ca-file (the CA that signed the collector's certificate) and --tls-server-name (a name or IP in its subjectAltName)",
      );
      expect(String(line.details)).toMatch(/unable to verify the first certificate/);
      await waitFor(
        'a second failed attempt',
        async () => logLines(agent, /^collector stream down; retrying$/).some((e) => Number(e.failures) >= 2),
        15_000,
      );
      expect(running(agent)).toBe(true);
      expect(await connected('node-4')).toBe(false);
      // The handshake failed before any token was looked at.
      expect(await unauthenticated()).toBe(before);
    } finally {
      await agent.stop();
    }
  }, 40_000);

  it('agents rotate their connections at the max connection age without counting a failure', async () => {
    const agent = stack.agents.get('node-1')!;
    await waitForLogLine(agent, 'collector closed the stream; reconnecting', 25_000);
    await waitFor(
      'node-1 reconnected',
      async () => logLines(agent, /^connected to collector$/).length >= 2 && (await connected('node-1')),
      10_000,
    );
    expect(logLines(agent, /^collector stream down; retrying$/)).toEqual([]);
    expect(await stack.findings()).toEqual([]);
  }, 45_000);

  it('serves a rotated certificate without a restart', async () => {
    // The new pair is from the second CA: an agent trusting only that CA can connect once the
    // collector reloaded, and one trusting only the first CA no longer can.
    await copyFile(pki.otherServerKey, files.key);
    await copyFile(pki.otherServerCert, files.cert);
    await waitForLogLine(stack.collector, 'collector TLS files reloaded', 15_000);
    const agent = startNode4(['--tls-ca-file', pki.otherCaCert, '--auth-token-file', files.tokens], 'agent-node-4-rotated');
    try {
      await waitFor('node-4 connected with the new certificate', () => connected('node-4'), 15_000);
    } finally {
      await agent.stop();
    }
    const old = startNode4(['--tls-ca-file', pki.caCert, '--auth-token-file', files.tokens], 'agent-node-4-old-ca');
    try {
      await waitForLogLine(
        old,
        "TLS: the collector's certificate verification failed: check --tls-ca-file (the CA that signed the collector's certificate) and --tls-server-name (a name or IP in its subjectAltName)",
      );
    } finally {
      await old.stop();
    }
    // Nodes 1-3 trust both CAs and stay connected through the rotation.
    for (const name of ['node-1', 'node-2', 'node-3']) await waitFor(`${name} connected`, () => connected(name), 10_000);
    expect(running(stack.collector)).toBe(true);
  }, 60_000);
});
