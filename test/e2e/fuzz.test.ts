// Fuzzing, bounded in count and time, seeded (NETSENTRY_FUZZ_SEED reproduces a run; the
// seed is printed): mutated messages into the decoders and validators in-process, raw bytes
// and mutated gRPC payloads into the collector's gRPC port, mutated probes into every
// agent's UDP and TCP probe port from a lab namespace. Afterwards the collector is healthy
// and ready, every agent is connected, and the next real fault is named correctly.
import { fileURLToPath } from 'node:url';
import { connect } from 'node:net';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectRequestSchema, type ConnectRequest } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { LinkRole, Network, OverlayKind, OverlayPart, Problem } from '../../shared/src/gen/netsentry/v1/node_pb.js';
import { ProbeProtocol } from '../../shared/src/gen/netsentry/v1/probe_pb.js';
import { connectPath, decodeResponse } from '../../shared/src/wire.ts';
import { validateHello } from '../../collector/src/ingest/validate-hello.ts';
import { validateNodeReport } from '../../collector/src/ingest/validate-report.ts';
import { validateProbeBatch } from '../../collector/src/ingest/validate-probe-batch.ts';
import { createClusterModel } from '../../collector/src/model/cluster-model.ts';
import { defaultDetectors } from '../../collector/src/detectors/index.ts';
import { decodeProbe, encodeProbe, probeKind, probeNetwork, toReply } from '../../agent/src/probe/probe-wire.ts';
import { createPrng, fuzzSeed, mutate, randomBytes, randomInt } from '../harness/fuzz-bytes.ts';
import { metricValue, startStack, waitFor, type Stack } from '../harness/stack.ts';

const seed = fuzzSeed();
const counts = { decoder: 3000, grpcStreams: 240, rawTcp: 150, probeUdp: 3000, probeTcp: 150 };
const phaseDeadlineMs = 25_000;
let stack: Stack;

beforeAll(async () => {
  console.log(`fuzz seed ${seed} (reproduce with NETSENTRY_FUZZ_SEED=${seed})`);
  stack = await startStack({ nodes: 4, collectorArgs: ['--agent-missing-after', '5s'] });
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  await stack?.teardown();
});

// Valid messages of every kind: the mutation corpus. The hello's node name can never be
// made valid by a few mutations (upper case and '_' throughout), so fuzz streams never
// join the lab's membership.
const fuzzName = 'FUZZ_'.repeat(12);
const corpus = (): ConnectRequest[] => [
  create(ConnectRequestSchema, {
    payload: {
      case: 'hello',
      value: {
        nodeName: fuzzName,
        network: Network.HOST,
        addresses: ['192.0.2.99'],
        podCidrs: ['198.18.99.0/24'],
        agentVersion: '0.1.0',
        probeAddress: '192.0.2.99',
        probePort: 7946,
        instanceId: 'e7b0c3a2-9d4f-4f53-8c1e-5a6b7c8d9e0f',
        startedAtUnixMs: 1_795_000_000_000n,
        overlay: {
          kind: OverlayKind.FLANNEL_VXLAN,
          name: 'flannel.1',
          vni: 1,
          port: 8472,
          vtepIp: '192.0.2.99',
          vtepMac: '0a:58:c6:12:63:00',
          mtu: 1450,
          underlayDevice: 'eth0',
          underlayMtu: 1500,
        },
      },
    },
  }),
  create(ConnectRequestSchema, {
    payload: {
      case: 'nodeReport',
      value: {
        observedAtUnixMs: 1n,
        peerSetGeneration: 2n,
        trigger: 'periodic',
        overlay: {
          kind: OverlayKind.FLANNEL_VXLAN,
          peersChecked: 3,
          peersOk: 2,
          durationSeconds: 0.01,
          problems: [
            {
              peer: 'node-3',
              parts: [{ part: OverlayPart.ROUTE, problem: Problem.MISSING, expected: '198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink' }],
            },
          ],
        },
        links: [{ name: 'flannel.1', role: LinkRole.OVERLAY, present: true, up: true, operState: 'UNKNOWN', mtu: 1450, kind: 'vxlan' }],
        conntrack: { available: true, entries: 5n, maxEntries: 1000n },
        sysctls: { rpFilter: { all: 0 } },
      },
    },
  }),
  create(ConnectRequestSchema, {
    payload: {
      case: 'probeBatch',
      value: {
        intervalSeconds: 5,
        eventLoopDelayP99Seconds: 0.002,
        heldMs: 0,
        results: [
          {
            targetNode: 'node-2',
            protocol: ProbeProtocol.UDP,
            ok: true,
            rttSeconds: 0.0004,
            sizeBytes: 32,
            sentAtUnixMs: 1n,
            targetNetwork: Network.HOST,
          },
          {
            targetNode: 'node-3',
            protocol: ProbeProtocol.TCP,
            ok: false,
            error: 'timeout',
            sizeBytes: 32,
            sentAtUnixMs: 1n,
            targetNetwork: Network.POD,
          },
          { protocol: ProbeProtocol.DNS_UDP, ok: true, target: '198.18.1.5:53', sentAtUnixMs: 1n, rttSeconds: 0.001 },
        ],
        receipts: [{ sourceNode: 'node-2', sourceNetwork: Network.HOST, protocol: ProbeProtocol.UDP, requests: 5, largeRequests: 2 }],
      },
    },
  }),
  create(ConnectRequestSchema, { payload: { case: 'heartbeat', value: { sentAtUnixMs: 1n } } }),
];

const edgeStrings = [
  '',
  ' ',
  'a'.repeat(300),
  'node-2',
  '../../etc',
  '192.0.2.1',
  '198.18.0.0/15',
  '999.0.0.1',
  '0a:58:c6:12:02:00',
  'zz',
  '\u0000',
  'é'.repeat(40),
  'flannel.1/x',
];
const edgeNumbers = [0, 1, -1, 2 ** 31, 4_294_967_295, 65_536, 0x1000000, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 0.5];
const pick = <T>(rand: () => number, list: readonly T[]): T => list[randomInt(rand, list.length)]!;

/** Sets one to three random fields (at any depth, in arrays too) to edge values of their type. */
function withEdgeValues(rand: () => number, message: ConnectRequest): ConnectRequest {
  const holders: Record<string, unknown>[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') {
      holders.push(value as Record<string, unknown>);
      Object.values(value).forEach(walk);
    }
  };
  walk(message.payload.value);
  for (let n = 1 + randomInt(rand, 3); n > 0; n--) {
    const holder = pick(rand, holders);
    const keys = Object.keys(holder).filter((k) => k !== '$typeName' && k !== 'case');
    if (keys.length === 0) continue;
    const key = pick(rand, keys);
    const current = holder[key];
    if (typeof current === 'string') holder[key] = pick(rand, edgeStrings);
    else if (typeof current === 'number')
      holder[key] = Number.isInteger(current)
        ? Math.max(0, Math.min(4_294_967_295, Math.trunc(pick(rand, edgeNumbers)) || 0))
        : pick(rand, edgeNumbers);
    else if (typeof current === 'bigint') holder[key] = pick(rand, [0n, -1n, 2n ** 62n, 1n]);
    else if (typeof current === 'boolean') holder[key] = !current;
    else if (Array.isArray(current))
      holder[key] = rand() < 0.5 ? [] : Array.from({ length: 1 + randomInt(rand, 40) }, () => current[0] ?? pick(rand, edgeStrings));
  }
  return message;
}

describe(`fuzzing (seed ${seed})`, () => {
  it('decoders and validators: mutated messages are rejected or accepted, never a throw; accepted ones fold into a model', () => {
    const rand = createPrng(seed);
    const valid = corpus().map((m) => toBinary(ConnectRequestSchema, m));
    const model = createClusterModel({ now: Date.now, nodeExpiryMs: 600_000 });
    const detectors = defaultDetectors({ agentMissingAfterMs: 5_000, heartbeatIntervalMs: 5_000 });
    const tally = { edgeValued: 0, unencodable: 0, decodeErrors: 0, decoded: 0, accepted: 0, rejected: 0, probesDecoded: 0 };
    const deadline = Date.now() + phaseDeadlineMs;
    for (let i = 0; i < counts.decoder && Date.now() < deadline; i++) {
      // Byte mutations mostly break the wire format (protobuf-es is strict: UTF-8, lengths);
      // every third input instead sets edge values into fields of a valid message.
      let bytes: Uint8Array = mutate(rand, valid[randomInt(rand, valid.length)]!);
      if (i % 3 === 2) {
        try {
          bytes = toBinary(ConnectRequestSchema, withEdgeValues(rand, corpus()[randomInt(rand, valid.length)]!));
          tally.edgeValued++;
        } catch {
          tally.unencodable++; // e.g. -1 in a uint64: the encoder refuses, keep the byte mutation
        }
      }
      let message: ConnectRequest;
      try {
        message = fromBinary(ConnectRequestSchema, bytes);
      } catch {
        tally.decodeErrors++;
        continue;
      }
      tally.decoded++;
      const payload = message.payload;
      const problem =
        payload.case === 'hello'
          ? validateHello(payload.value)
          : payload.case === 'nodeReport'
            ? validateNodeReport(payload.value)
            : payload.case === 'probeBatch'
              ? validateProbeBatch(payload.value)
              : undefined;
      if (problem !== undefined) {
        tally.rejected++;
        continue;
      }
      tally.accepted++;
      // What the validators let through must be safe for the model and every detector.
      const key = { node: 'node-1', network: 'host' as const };
      if (payload.case === 'hello') model.agentConnected(payload.value, { connectionId: `c${i}`, peerAddress: 'fuzz' });
      else if (payload.case === 'nodeReport') model.agentReport(key, payload.value);
      else if (payload.case === 'probeBatch') model.agentProbeBatch(key, payload.value);
      const snapshot = model.snapshot();
      for (const detector of detectors) detector.detect(snapshot);
      // Probe wire decoder too: a decoded request's reply is never larger than the request.
      const probe = mutate(
        rand,
        encodeProbe(
          { kind: probeKind.request, sequence: i, sentAtMicros: 1, nodeName: 'node-2', network: probeNetwork.host },
          randomInt(rand, 1500),
        ),
      );
      const decodedProbe = decodeProbe(probe);
      if (decodedProbe) {
        tally.probesDecoded++;
        expect(toReply(probe).length).toBeLessThanOrEqual(probe.length);
      }
    }
    console.log(`fuzz decoders: ${JSON.stringify(tally)}`);
    expect(tally.decoded + tally.decodeErrors).toBeGreaterThan(100);
    expect(tally.rejected).toBeGreaterThan(0);
  }, 60_000);

  it('the collector gRPC port: raw TCP garbage and mutated gRPC payloads leave it serving', async () => {
    const rand = createPrng(seed + 1);
    const [host, portText] = [
      stack.grpcFromTest.slice(0, stack.grpcFromTest.lastIndexOf(':')),
      stack.grpcFromTest.slice(stack.grpcFromTest.lastIndexOf(':') + 1),
    ];
    const port = Number(portText);
    const deadline = Date.now() + phaseDeadlineMs;
    const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    let rawSent = 0;
    for (let i = 0; i < counts.rawTcp && Date.now() < deadline; i++) {
      const garbage =
        rand() < 0.5 ? Buffer.concat([preface, randomBytes(rand, randomInt(rand, 512))]) : randomBytes(rand, 1 + randomInt(rand, 512));
      await new Promise<void>((resolve) => {
        const socket = connect(port, host, () => socket.end(garbage));
        socket.setTimeout(300, () => socket.destroy());
        socket.on('close', () => resolve());
        socket.on('error', () => undefined);
      });
      rawSent++;
    }

    const valid = corpus().map((m) => Buffer.from(toBinary(ConnectRequestSchema, m)));
    const statuses: Record<string, number> = {};
    const client = new grpc.Client(stack.grpcFromTest, grpc.credentials.createInsecure());
    let streams = 0;
    // Four at a time: the per-peer stream cap is 8 and all of these come from one address.
    const one = async (): Promise<void> => {
      const call = client.makeBidiStreamRequest(connectPath, (b: Buffer) => b, decodeResponse);
      const status = new Promise<string>((resolve) => {
        call.on('status', (s: grpc.StatusObject) => resolve(grpc.status[s.code] ?? String(s.code)));
        setTimeout(() => resolve('no status within 1 s'), 1_000);
      });
      call.on('error', () => undefined);
      call.on('data', () => undefined);
      const messages = 1 + randomInt(rand, 4);
      for (let m = 0; m < messages; m++)
        call.write(rand() < 0.1 ? randomBytes(rand, randomInt(rand, 256)) : mutate(rand, valid[randomInt(rand, valid.length)]!));
      const code = await status;
      statuses[code] = (statuses[code] ?? 0) + 1;
      call.cancel();
    };
    while (streams < counts.grpcStreams && Date.now() < deadline) {
      await Promise.all(Array.from({ length: 4 }, one));
      streams += 4;
    }
    // And more streams at once than one address may hold.
    await Promise.all(Array.from({ length: 12 }, () => one()));
    client.close();
    console.log(`fuzz gRPC: ${rawSent} raw TCP connections; ${streams + 12} mutated streams, statuses ${JSON.stringify(statuses)}`);
    const metrics = await stack.metrics();
    const reasons = [
      'invalid_hello',
      'no_hello',
      'undecodable_message',
      'too_many_streams',
      'empty_message',
      'hello_timeout',
      'stream_error',
      'rate_limited',
      'message_too_large',
    ];
    console.log(
      `fuzz gRPC: netsentry_stream_errors_total ${JSON.stringify(Object.fromEntries(reasons.map((r) => [r, metricValue(metrics, 'netsentry_stream_errors_total', { reason: r })])))}`,
    );
    expect(statuses['OK'] ?? 0).toBe(0);
    expect(metricValue(metrics, 'netsentry_stream_errors_total', { reason: 'too_many_streams' })).toBeGreaterThan(0);
    expect(metricValue(metrics, 'netsentry_nodes_known')).toBe(4);
  }, 90_000);

  it("the agents' probe ports: mutated and random probes over UDP and TCP from a lab namespace, never a larger reply", async () => {
    const targets = stack.lab.nodes.filter((n) => n.name !== 'node-1').map((n) => `${n.underlayIp}:7946`);
    const script = fileURLToPath(new URL('../harness/probe-fuzzer.ts', import.meta.url));
    const proc = stack.lab.start(
      stack.lab.node('node-1').ns,
      [process.execPath, script, String(seed + 2), String(counts.probeUdp), String(counts.probeTcp), String(phaseDeadlineMs), ...targets],
      { name: 'probe-fuzzer', uid: 65534 },
    );
    expect(await proc.exited).toBe(0);
    const line = proc
      .output()
      .split('\n')
      .find((l) => l.startsWith('{"probeFuzz"'));
    expect(line, proc.output().slice(-1000)).toBeDefined();
    const stats = (JSON.parse(line!) as { probeFuzz: Record<string, number> }).probeFuzz;
    console.log(`fuzz probe ports: ${JSON.stringify(stats)}`);
    expect(stats.udpSent).toBeGreaterThan(100);
    expect(stats.udpReplies).toBeGreaterThan(0); // well-formed requests are still answered
    expect(stats.amplified).toBe(0);
    expect(stats.maxReplyRatio).toBeLessThanOrEqual(1);
  }, 90_000);

  it('afterwards: healthy, ready, every agent connected, and the next real fault named correctly', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const response = await fetch(`${stack.httpUrl}${path}`, { signal: AbortSignal.timeout(5_000) });
      expect(response.status, path).toBe(200);
    }
    for (const [node, agent] of stack.agents) expect(agent.hasExited(), `${node} exited: ${agent.output().slice(-500)}`).toBe(false);
    await waitFor(
      '4 host agents connected and zero findings',
      async () => {
        const metrics = await stack.metrics();
        return metricValue(metrics, 'netsentry_agents_connected', { network: 'host' }) === 4 && (await stack.findings()).length === 0;
      },
      30_000,
    );
    await stack.lab.deleteOverlayRoutes('node-2');
    const findings = await waitFor('OverlayRouteMissing(node-2)', async () => {
      const open = await stack.findings();
      return open.some((f) => f.kind === 'OverlayRouteMissing') ? open : undefined;
    });
    expect(findings.map((f) => `${f.kind}(${f.nodes.join(',')})`)).toEqual(['OverlayRouteMissing(node-2)']);
    await stack.lab.restoreOverlay('node-2');
    await waitFor('resolved', async () => (await stack.findings()).length === 0, 20_000);
  }, 60_000);
});
