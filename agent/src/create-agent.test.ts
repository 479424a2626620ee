// The whole agent from its composition root, in pod mode (no kernel state), against a scripted
// collector on loopback: hello with its process identity, heartbeats from the uplink at the
// welcome's interval, and the agent's own node dropped from the peer set it works with.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFlags } from '../../shared/src/flags.ts';
import {
  ConnectResponseSchema,
  PeerSchema,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
} from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../shared/src/gen/netsentry/v1/node_pb.js';
import { createSilentLogger } from '../../shared/src/logger.ts';
import { collectorServiceDefinition } from '../../shared/src/wire.ts';
import { agentFlags } from './agent-flags.ts';
import { createAgent, withoutNode, type Agent } from './create-agent.ts';
import { createUplinkTransport } from './uplink/uplink-transport.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scriptedCollector() {
  const hellos: Hello[] = [];
  const received: string[] = [];
  const server = new grpc.Server();
  server.addService(collectorServiceDefinition, {
    connect: (call: grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>) => {
      call.on('data', (message: ConnectRequest) => {
        received.push(message.payload.case ?? 'empty');
        if (message.payload.case !== 'hello') return;
        hellos.push(message.payload.value);
        call.write(
          create(ConnectResponseSchema, {
            payload: { case: 'welcome', value: { collectorVersion: 'test', heartbeatIntervalSeconds: 1, reportIntervalSeconds: 30 } },
          }),
        );
        const peer = (nodeName: string, address: string) =>
          create(PeerSchema, { nodeName, network: Network.POD, probeAddress: address, probePort: 7946, nodeIp: address });
        call.write(
          create(ConnectResponseSchema, {
            payload: { case: 'peerSet', value: { generation: 1n, peers: [peer('node-1', '198.18.1.5'), peer('node-2', '198.18.2.5')] } },
          }),
        );
      });
      call.on('error', () => undefined);
      call.on('end', () => call.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => void server.forceShutdown());
  return { port, hellos, received };
}

async function startAgent(collectorPort: number): Promise<Agent> {
  const parsed = parseFlags('netsentry-agent', agentFlags, [
    '--collector',
    `127.0.0.1:${collectorPort}`,
    '--node-name',
    'node-1',
    '--network',
    'pod',
    '--pod-ip',
    '198.18.1.5',
    '--probe-listen',
    '127.0.0.1:0',
    '--probe-interval',
    '0s',
    '--dns-server',
    'off',
  ]);
  if (parsed.kind !== 'flags') throw new Error('flags did not parse');
  const logger = createSilentLogger();
  const transport = createUplinkTransport({ logger });
  const agent = await createAgent({ flags: parsed.flags, logger, transport, readFile: async () => '' });
  cleanups.push(async () => {
    await agent.stop();
    transport.close();
  });
  agent.start();
  return agent;
}

describe('createAgent (pod mode)', () => {
  it("says hello with its identity, sends heartbeats at the welcome's interval and works with the peer set without its own node", async () => {
    const collector = await scriptedCollector();
    const agent = await startAgent(collector.port);
    await expect.poll(() => agent.peers().map((p) => p.nodeName), { timeout: 5_000 }).toEqual(['node-2']);
    expect(collector.hellos).toHaveLength(1);
    expect(collector.hellos[0]).toMatchObject({ nodeName: 'node-1', network: Network.POD, probeAddress: '198.18.1.5' });
    expect(collector.hellos[0]!.instanceId).toMatch(/^[0-9a-f-]{36}$/);
    // Heartbeats come from the uplink, every 1 s here.
    await expect.poll(() => collector.received.filter((c) => c === 'heartbeat').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
  });

  it('drops the own node only when it is there (the same set otherwise)', () => {
    const set = { generation: 3n, peers: [create(PeerSchema, { nodeName: 'node-2' })] } as never;
    expect(withoutNode(set, 'node-1')).toBe(set);
    const withSelf = {
      generation: 3n,
      peers: [create(PeerSchema, { nodeName: 'node-1' }), create(PeerSchema, { nodeName: 'node-2' })],
    } as never;
    expect(withoutNode(withSelf, 'node-1')).toMatchObject({ generation: 3n, peers: [{ nodeName: 'node-2' }] });
  });

  it('refuses --pod-network-probes via-overlay where it cannot work, before anything starts', async () => {
    const logger = createSilentLogger();
    const transport = createUplinkTransport({ logger });
    cleanups.push(() => transport.close());
    const attempt = async (extra: string[]) => {
      const parsed = parseFlags('netsentry-agent', agentFlags, ['--collector', '127.0.0.1:1', '--node-name', 'node-1', ...extra]);
      if (parsed.kind !== 'flags') throw new Error('flags did not parse');
      return createAgent({ flags: parsed.flags, logger, transport, readFile: async () => '' });
    };
    await expect(attempt(['--network', 'pod', '--pod-network-probes', 'via-overlay'])).rejects.toThrow(/is for host agents/);
    // Peers probe the pod bridge's address: a responder bound to one address would not hear them.
    await expect(attempt(['--pod-network-probes', 'via-overlay', '--probe-listen', '192.0.2.11:7946'])).rejects.toThrow(
      /needs --probe-listen on every address \(0\.0\.0\.0:PORT\), got 192\.0\.2\.11:7946/,
    );
  });
});
