// Node identity with the API on: the collector (createCollector, real gRPC ingest) reviews each
// agent's projected token with the API double's TokenReview and binds the stream to the node.
import { PassThrough } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCollector, type Collector } from '../../collector/src/collector.ts';
import { collectorFlags } from '../../collector/src/collector-flags.ts';
import { hostHello } from '../fixtures/cluster-fixtures.ts';
import { ConnectRequestSchema, type ConnectRequest, type ConnectResponse } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { parseFlags } from '../../shared/src/flags.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { connectPath, decodeResponse, encodeRequest } from '../../shared/src/wire.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { metricValue, waitFor } from '../harness/stack.ts';

let double: KubeApiDouble;
let collector: Collector;
let ports: { grpcPort: number; httpPort: number };
let logText = '';

beforeAll(async () => {
  double = await startKubeApiDouble();
  for (const i of [1, 2]) double.upsertNode(flannelNode(`node-${i}`, { internalIp: `192.0.2.${10 + i}`, podCidr: `198.18.${i}.0/24`, vtepMac: `0a:58:c6:12:0${i}:00` }));
  const parsed = parseFlags('netsentry-collector', collectorFlags, ['--kubernetes', 'on', '--kubeconfig', double.kubeconfigPath], {});
  if (parsed.kind !== 'flags') throw new Error('flags');
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => void (logText += chunk.toString('utf8')));
  collector = createCollector({ flags: parsed.flags, logger: createLogger({ name: 'test', destination }), env: {} });
  ports = await collector.listen({ host: '127.0.0.1', port: 0 }, { host: '127.0.0.1', port: 0 });
  await waitFor('the Node list', async () => (await (await fetch(`http://127.0.0.1:${ports.httpPort}/readyz`)).json() as { kubernetes: { synced: boolean } }).kubernetes.synced);
});

afterAll(async () => {
  await collector?.shutdown(1000);
  await double?.close();
});

/** Opens a stream with `token`, says hello as `node`; resolves 'welcome' or the status code. */
function hello(token: string, node: string): Promise<'welcome' | grpc.status> {
  const client = new grpc.Client(`127.0.0.1:${ports.grpcPort}`, grpc.credentials.createInsecure());
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
    call.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: hostHello(node) } }));
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
    expect(logText.match(/refused hello/g)).toHaveLength(1);
    expect(logText).toContain('the token is bound to node node-1, not node-2');
    const { nodes } = await (await fetch(`http://127.0.0.1:${ports.httpPort}/api/v1/nodes`)).json() as { nodes: { name: string }[] };
    expect(nodes.map((n) => n.name)).toEqual(['node-1']);
  });

  it('refuses a token for another audience, or an unknown token, with UNAUTHENTICATED', async () => {
    expect(await hello(double.issueToken('node-2', 'other-audience'), 'node-2')).toBe(grpc.status.UNAUTHENTICATED);
    expect(await hello('not-a-token', 'node-2')).toBe(grpc.status.UNAUTHENTICATED);
    expect(double.requests.filter((r) => r.path === '/apis/authentication.k8s.io/v1/tokenreviews').length).toBeGreaterThanOrEqual(2);
  });
});
