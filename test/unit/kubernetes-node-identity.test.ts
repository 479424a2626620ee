// Node identity with the API on: the collector (createCollector, real gRPC ingest) reviews each
// agent's projected token with the API double's TokenReview and binds the stream to the node.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Collector } from '../../collector/src/collector.ts';
import { hostHello } from '../fixtures/cluster-fixtures.ts';
import { ConnectRequestSchema, type ConnectRequest, type ConnectResponse } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { connectPath, decodeResponse, encodeRequest } from '../../shared/src/wire.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { metricValue, waitFor } from '../harness/stack.ts';
import { createTestCollector, type TestCollector } from '../harness/test-collector.ts';

let double: KubeApiDouble;
let collector: Collector;
let ports: { grpcPort: number; httpPort: number };
let test: TestCollector;

beforeAll(async () => {
  double = await startKubeApiDouble();
  for (const i of [1, 2])
    double.upsertNode(
      flannelNode(`node-${i}`, { internalIp: `192.0.2.${10 + i}`, podCidr: `198.18.${i}.0/24`, vtepMac: `0a:58:c6:12:0${i}:00` }),
    );
  test = createTestCollector({ args: ['--kubernetes', 'on', '--kubeconfig', double.kubeconfigPath], start: false });
  collector = test.collector;
  ports = await collector.listen({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
  await waitFor(
    'the Node list',
    async () =>
      ((await (await fetch(`http://127.0.0.1:${ports.httpPort}/readyz`)).json()) as { kubernetes: { synced: boolean } }).kubernetes.synced,
  );
});

afterAll(async () => {
  await collector?.shutdown(1000);
  await double?.close();
});

/** Opens a stream with `token`, says hello as `node`; resolves 'welcome' or the status code. */
function hello(
  token: string,
  node: string,
  grpcPort = ports.grpcPort,
  overrides: Parameters<typeof hostHello>[1] = {},
): Promise<'welcome' | grpc.status> {
  const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  // A client may not claim an identity itself.
  metadata.set('x-netsentry-verified-node', node);
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest<ConnectRequest, ConnectResponse>(connectPath, encodeRequest, decodeResponse, metadata);
    call.on('data', (response: ConnectResponse) => {
      if (response.payload.case === 'welcome') {
        resolve('welcome');
        call.cancel();
        client.close();
      }
    });
    call.on('error', () => undefined);
    call.on('status', (status) => {
      resolve(status.code);
      client.close();
    });
    call.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: hostHello(node, overrides) } }));
  });
}

describe('node identity by TokenReview', () => {
  it('accepts an agent whose token is bound to the node it says hello for', async () => {
    expect(await hello(double.issueToken('node-1', 'netsentry'), 'node-1')).toBe('welcome');
  });

  it('refuses a hello for another node, or for a node the API does not list, with PERMISSION_DENIED, counted and logged once per source', async () => {
    const token = double.issueToken('node-1', 'netsentry');
    expect(await hello(token, 'node-2')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await hello(token, 'node-2')).toBe(grpc.status.PERMISSION_DENIED);
    expect(await hello(double.issueToken('node-9', 'netsentry'), 'node-9')).toBe(grpc.status.PERMISSION_DENIED);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.httpPort}/metrics`)).text();
    expect(metricValue(metrics, 'netsentry_stream_errors_total', { reason: 'permission_denied' })).toBe(3);
    expect(test.logText().match(/refused hello/g)).toHaveLength(1);
    expect(test.logText()).toContain('the token is bound to node node-1, not node-2');
    const { nodes } = (await (await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1/nodes`)).json()) as { nodes: { name: string }[] };
    expect(nodes.map((n) => n.name)).toEqual(['node-1']);
  });

  it('refuses a token for another audience, or an unknown token, with UNAUTHENTICATED', async () => {
    expect(await hello(double.issueToken('node-2', 'other-audience'), 'node-2')).toBe(grpc.status.UNAUTHENTICATED);
    expect(await hello('not-a-token', 'node-2')).toBe(grpc.status.UNAUTHENTICATED);
    expect(double.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews').length).toBeGreaterThanOrEqual(2);
  });
});

/** A host agent's stream that stays open: the peer names it was last sent (full sets and deltas applied). */
function openAgent(token: string, node: string, grpcPort: number) {
  const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  const peers = new Set<string>();
  const call = client.makeBidiStreamRequest<ConnectRequest, ConnectResponse>(connectPath, encodeRequest, decodeResponse, metadata);
  call.on('data', (response: ConnectResponse) => {
    if (response.payload.case === 'peerSet') {
      peers.clear();
      for (const p of response.payload.value.peers) peers.add(p.nodeName);
    } else if (response.payload.case === 'peerSetDelta') {
      for (const p of response.payload.value.upserted) peers.add(p.nodeName);
      for (const r of response.payload.value.removed) peers.delete(r.nodeName);
    }
  });
  call.on('error', () => undefined);
  call.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: hostHello(node) } }));
  return {
    peers,
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

describe("the peer set: Nodes joined with the agents' hellos", () => {
  it('a Node deleted in the API leaves every peer set at once, while its agent still runs; added again, it is back', async () => {
    double.upsertNode(flannelNode('node-3', { internalIp: '192.0.2.13', podCidr: '198.18.3.0/24', vtepMac: '0a:58:c6:12:03:00' }));
    await waitFor(
      'node-3 listed',
      async () =>
        ((await (await fetch(`http://127.0.0.1:${ports.httpPort}/readyz`)).json()) as { kubernetes: { nodes: number } }).kubernetes
          .nodes === 3,
    );
    const one = openAgent(double.issueToken('node-1', 'netsentry'), 'node-1', ports.grpcPort);
    const three = openAgent(double.issueToken('node-3', 'netsentry'), 'node-3', ports.grpcPort);
    try {
      await waitFor('node-1 sees node-3', async () => one.peers.has('node-3'));
      const started = Date.now();
      double.deleteNode('node-3');
      await waitFor("node-3 out of node-1's peer set", async () => !one.peers.has('node-3'), 5_000, 10);
      expect(Date.now() - started).toBeLessThan(2_000);
      double.upsertNode(flannelNode('node-3', { internalIp: '192.0.2.13', podCidr: '198.18.3.0/24', vtepMac: '0a:58:c6:12:03:00' }));
      await waitFor("node-3 back in node-1's peer set", async () => one.peers.has('node-3'), 5_000, 10);
    } finally {
      one.close();
      three.close();
    }
  });
});

describe('with a shared token and the API on', () => {
  const token = 'shared-token-0123456789abcdef0123456789abcdef';
  let shared: TestCollector;
  let sharedPorts: { grpcPort: number; httpPort: number };
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-shared-token-'));
    writeFileSync(join(dir, 'token'), `${token}\n`);
    shared = createTestCollector({
      args: ['--kubernetes', 'on', '--kubeconfig', double.kubeconfigPath, '--auth-token-file', join(dir, 'token')],
      start: false,
    });
    sharedPorts = await shared.collector.listen({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
    await waitFor(
      'the Node list',
      async () =>
        ((await (await fetch(`http://127.0.0.1:${sharedPorts.httpPort}/readyz`)).json()) as { kubernetes: { synced: boolean } }).kubernetes
          .synced,
    );
  });
  afterAll(async () => shared?.collector.shutdown(1000));

  it('refuses a hello for a node the API does not list with PERMISSION_DENIED; a listed node is welcome', async () => {
    expect(await hello(token, 'node-9', sharedPorts.grpcPort)).toBe(grpc.status.PERMISSION_DENIED);
    expect(await hello(token, 'node-2', sharedPorts.grpcPort)).toBe('welcome');
  });

  it("refuses a hello whose probe addresses are not its Node's own: the token does not let it aim every agent's probes", async () => {
    const refusals = async () =>
      metricValue(await (await fetch(`http://127.0.0.1:${sharedPorts.httpPort}/metrics`)).text(), 'netsentry_stream_errors_total', {
        reason: 'permission_denied',
      }) ?? 0;
    const before = await refusals();
    // node-2 is 192.0.2.12 with podCIDR 198.18.2.0/24 in the API (the reasons' wording: probe-address-check.test.ts).
    expect(await hello(token, 'node-2', sharedPorts.grpcPort, { probeAddress: '192.0.2.99' })).toBe(grpc.status.PERMISSION_DENIED);
    expect(await hello(token, 'node-2', sharedPorts.grpcPort, { podProbeAddress: '198.18.7.0', podCidrs: ['198.18.7.0/24'] })).toBe(
      grpc.status.PERMISSION_DENIED,
    );
    expect((await refusals()) - before).toBe(2);
    expect(await hello(token, 'node-2', sharedPorts.grpcPort, { podProbeAddress: '198.18.2.0' })).toBe('welcome');
    const nodes = await (await fetch(`http://127.0.0.1:${sharedPorts.httpPort}/api/v1/nodes`)).text();
    expect(nodes).not.toContain('192.0.2.99');
  });
});
