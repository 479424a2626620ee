// One process of simulated agents for bench/collector-scale.ts: for nodes [from, to) of an
// N-node cluster it opens, per node, a host agent and a pod agent stream to the collector
// (--layout two-agents) or a host agent alone that also answers for its pod network
// (--layout via-overlay, the agent's --pod-network-probes via-overlay) over real gRPC
// (loopback), at --ramp agents per second (a DaemonSet rollout, not all at once); says hello,
// sends a node report (host) at once and every report interval the welcome names, a heartbeat
// every heartbeat interval (with its send time, as real agents do), and every interval (±10 %
// jitter) a probe batch shaped like a real agent's: a rotating sample of k peer nodes
// plus suspects, per peer UDP ×3 small, ×2 large and TCP ×1, on both networks for host agents.
// Batches are concatenations of pre-encoded per-target result chunks (protobuf messages
// concatenate), so the simulator's own CPU stays small; the collector decodes them fully.
// The sample here is an affine permutation of node indices (O(1) memory per agent) instead of
// the agent's hashed ring (O(N) per agent × 10,000 agents would not fit): same k per round and
// the same coverage bound. Peer sets and deltas are not decoded: a walk over the top-level
// fields reads the generations and counts entries (a 10,000-peer set is ~0.7 MB and would
// cost ~10 ms to decode, × 10,000 agents), enough to follow deltas like a real agent would
// (a delta whose base is not the held generation is counted as a mismatch). Controlled over IPC: {type:'break', node} / {type:'stats'} / {type:'stop'}.
import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ConnectRequestSchema } from '../shared/src/gen/netsentry/v1/collector_pb.js';
import { LinkRole, Network, OverlayKind } from '../shared/src/gen/netsentry/v1/node_pb.js';
import { PathCoverageSchema, ProbeBatchSchema, ProbeProtocol, ProbeResultSchema } from '../shared/src/gen/netsentry/v1/probe_pb.js';
import { connectPath, varint } from '../shared/src/wire.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const target = process.argv[process.argv.indexOf('--target') + 1]!;
const nodes = arg('nodes', 500);
const from = arg('from', 0);
const to = arg('to', nodes);
const intervalMs = arg('interval', 5) * 1000;
const k = arg('sample-size', 32);
const streamsPerChannel = arg('streams-per-channel', 250);
const windowMiB = arg('window-mib', 0);
// Agents connected per second by this process (0 = all at once).
const rampPerSecond = arg('ramp', 0);
const layout = process.argv.includes('--layout') ? process.argv[process.argv.indexOf('--layout') + 1]! : 'two-agents';
if (layout !== 'two-agents' && layout !== 'via-overlay') throw new Error(`--layout two-agents|via-overlay, not ${layout}`);
const networksPerNode = layout === 'two-agents' ? (['host', 'pod'] as const) : (['host'] as const);
// --report exception: batches as agents send them since issue 15 (path summaries for targets
// with loss or just recovered, every other target named once in a coverage group per
// network); --report results (default): one ProbeResult per probe, as before.
const byException = process.argv[process.argv.indexOf('--report') + 1] === 'exception';

const nodeName = (i: number): string => `sim-${String(i).padStart(5, '0')}`;
const underlayIp = (i: number): string => `192.0.2.${(i % 254) + 1}`; // reused modulo 254: never contacted
const podBase = (i: number): [number, number, number] => {
  const offset = i * 16; // one /28 per node inside 198.18.0.0/15
  return [18 + Math.floor(offset / 65536), Math.floor(offset / 256) % 256, offset % 256];
};
const podCidr = (i: number): string => {
  const [b, c, d] = podBase(i);
  return `198.${b}.${c}.${d}/28`;
};
const podIp = (i: number): string => {
  const [b, c, d] = podBase(i);
  return `198.${b}.${c}.${d + 2}`;
};
/** flannel.1's address (the pod CIDR's .0): where a via-overlay host agent answers for its pod network. */
const overlayIp = (i: number): string => {
  const [b, c, d] = podBase(i);
  return `198.${b}.${c}.${d}`;
};

// Pre-encoded result chunks per target node and network, ok and failed.
const shape = [
  { protocol: ProbeProtocol.UDP, large: false, count: 3, size: 72 },
  { protocol: ProbeProtocol.UDP, large: true, count: 2, size: 1450 },
  { protocol: ProbeProtocol.TCP, large: false, count: 1, size: 64 },
];
const chunk = (i: number, network: Network, ok: boolean): Buffer =>
  Buffer.from(
    toBinary(
      ProbeBatchSchema,
      create(ProbeBatchSchema, {
        results: shape.flatMap((s) =>
          Array.from({ length: s.count }, (_, n) =>
            create(ProbeResultSchema, {
              targetNode: nodeName(i),
              protocol: s.protocol,
              ok,
              rttSeconds: ok ? 0.0004 + n * 0.00005 : 0,
              sizeBytes: s.size,
              error: ok ? '' : 'timeout',
              sentAtUnixMs: 1_700_000_000_000n,
              targetNetwork: network,
              large: s.large,
            }),
          ),
        ),
      }),
    ),
  );
// Report by exception: a target's three path summaries (all lost, or all answered after a
// loss), and its name as a coverage entry (field 2 of PathCoverage).
const summaryChunk = (i: number, network: Network, ok: boolean): Buffer =>
  Buffer.from(
    toBinary(
      ProbeBatchSchema,
      create(ProbeBatchSchema, {
        pathSummaries: shape.map((s) => ({
          targetNode: nodeName(i),
          targetNetwork: network,
          protocol: s.protocol,
          large: s.large,
          sent: s.count,
          lost: ok ? 0 : s.count,
          rttP50Seconds: ok ? 0.0004 : 0,
          rttMaxSeconds: ok ? 0.0005 : 0,
          sizeBytes: s.size,
        })),
      }),
    ),
  );
const coverageName = (i: number): Buffer =>
  Buffer.from(toBinary(PathCoverageSchema, create(PathCoverageSchema, { targetNodes: [nodeName(i)] })));
const coverageTail = (network: Network): Buffer =>
  Buffer.from(
    toBinary(
      PathCoverageSchema,
      create(PathCoverageSchema, {
        targetNetwork: network,
        udpSmall: 3,
        udpSmallBytes: 72,
        udpLarge: 2,
        udpLargeBytes: 1450,
        tcp: 1,
        tcpBytes: 64,
        rttP50Seconds: 0.0004,
      }),
    ),
  );
const exception = {
  host: { tail: coverageTail(Network.HOST), names: [] as Buffer[], bad: [] as Buffer[], recovered: [] as Buffer[] },
  pod: { tail: coverageTail(Network.POD), names: [] as Buffer[], bad: [] as Buffer[], recovered: [] as Buffer[] },
};
if (byException) {
  for (let i = 0; i < nodes; i++) {
    const name = coverageName(i);
    for (const [net, e] of [
      [Network.HOST, exception.host],
      [Network.POD, exception.pod],
    ] as const) {
      e.names.push(name);
      e.bad.push(summaryChunk(i, net, false));
      e.recovered.push(summaryChunk(i, net, true));
    }
  }
}
const chunks = { host: { ok: [] as Buffer[], bad: [] as Buffer[] }, pod: { ok: [] as Buffer[], bad: [] as Buffer[] } };
for (let i = 0; i < nodes; i++) {
  chunks.host.ok.push(chunk(i, Network.HOST, true));
  chunks.host.bad.push(chunk(i, Network.HOST, false));
  chunks.pod.ok.push(chunk(i, Network.POD, true));
  chunks.pod.bad.push(chunk(i, Network.POD, false));
}
const resultsPerTarget = shape.reduce((sum, s) => sum + s.count, 0);
const sampleRounds = nodes - 1 > 100 ? Math.ceil((nodes - 1) / k) : 1;

const batchTail = Buffer.from(
  toBinary(
    ProbeBatchSchema,
    create(ProbeBatchSchema, { intervalSeconds: intervalMs / 1000, sampleRounds, eventLoopDelayP99Seconds: 0.002 }),
  ),
);

const broken = new Set<number>();
const stats = {
  agents: 0,
  connected: 0,
  welcomed: 0,
  batches: 0,
  results: 0,
  bytes: 0,
  errors: 0,
  skippedRounds: 0,
  heartbeats: 0,
  reports: 0,
  /** When the first stream was opened and the last welcomed (ms since this process started). */
  firstConnectMs: -1,
  lastWelcomeMs: -1,
  peerSetBytes: 0,
  fullSets: 0,
  fullSetBytes: 0,
  deltas: 0,
  deltaBytes: 0,
  peerEntries: 0,
  deltaMismatches: 0,
};

/** Reads a varint at `at`: [value, next offset]. Generations stay far below 2^53. */
function readVarint(bytes: Buffer, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = bytes[at++]!;
    value += (b & 127) * scale;
    if (b < 128) return [value, at];
    scale *= 128;
  }
}

/**
 * The top-level fields of a PeerSet (1 generation, 2 peers) or PeerSetDelta (1 base, 2
 * generation, 3 upserted, 4 removed) in bytes[from, to): varint values by field, and how
 * many length-delimited entries were skipped.
 */
function walkFields(bytes: Buffer, from: number, to: number): { varints: Map<number, number>; entries: number } {
  const varints = new Map<number, number>();
  let entries = 0;
  let at = from;
  while (at < to) {
    const [tag, next] = readVarint(bytes, at);
    at = next;
    const field = Math.floor(tag / 8);
    if ((tag & 7) === 0) {
      const [value, after] = readVarint(bytes, at);
      varints.set(field, value);
      at = after;
    } else if ((tag & 7) === 2) {
      const [length, after] = readVarint(bytes, at);
      at = after + length;
      entries += 1;
    } else throw new Error(`unexpected wire type ${tag & 7} in a peer set`);
  }
  return { varints, entries };
}

interface SimAgent {
  index: number;
  network: 'host' | 'pod';
  call?: grpc.ClientDuplexStream<Buffer, Buffer>;
  /** The generation of the peer set held; -1 before the stream's first full set. */
  generation: number;
  cursor: number;
  step: number;
  suspects: Set<number>;
  timer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
  reportTimer?: NodeJS.Timeout;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function round(agent: SimAgent): void {
  if (!agent.call?.writable) return;
  // gRPC still holds this stream's last batch (the collector is behind): skip the round, as a
  // bounded agent buffer would. Queuing without bound here would measure the simulator's
  // memory and GC, not the collector.
  if (agent.call.writableLength > 0) {
    stats.skippedRounds += 1;
    return;
  }
  const peers = nodes - 1;
  const chosen = new Set<number>();
  if (peers <= 100) for (let j = 0; j < nodes; j++) chosen.add(j);
  else {
    for (let n = 0; n < k; n++) {
      chosen.add((agent.index + 1 + ((agent.cursor * agent.step) % peers)) % nodes); // never self: offset 1..peers
      agent.cursor = (agent.cursor + 1) % peers;
    }
    for (const s of agent.suspects) chosen.add(s);
  }
  chosen.delete(agent.index);
  const parts: Buffer[] = [];
  let results = 0;
  const selfBroken = broken.has(agent.index);
  const covered = agent.network === 'host' ? [[] as Buffer[], [] as Buffer[]] : [[] as Buffer[]];
  const exceptions = agent.network === 'host' ? [exception.host, exception.pod] : [exception.pod];
  for (const j of chosen) {
    const bad = selfBroken || broken.has(j);
    const wasBad = agent.suspects.has(j);
    if (bad) agent.suspects.add(j);
    else agent.suspects.delete(j);
    if (byException) {
      exceptions.forEach((e, n) => (bad ? parts.push(e.bad[j]!) : wasBad ? parts.push(e.recovered[j]!) : covered[n]!.push(e.names[j]!)));
      results += resultsPerTarget * exceptions.length;
      continue;
    }
    const networks = agent.network === 'host' ? [chunks.host, chunks.pod] : [chunks.pod];
    for (const c of networks) {
      parts.push(bad ? c.bad[j]! : c.ok[j]!);
      results += resultsPerTarget;
    }
  }
  // One coverage group per network: ProbeBatch field 8, the names then the shape.
  covered.forEach((names, n) => {
    if (names.length === 0) return;
    const tail = exceptions[n]!.tail;
    const length = names.reduce((sum, b) => sum + b.length, tail.length);
    parts.push(Buffer.from([(8 << 3) | 2, ...varint(length)]), ...names, tail);
  });
  while (agent.suspects.size > k) agent.suspects.delete(agent.suspects.values().next().value!);
  parts.push(batchTail);
  // One copy per batch: the ConnectRequest header in front of the parts.
  let length = 0;
  for (const part of parts) length += part.length;
  const header = Buffer.from([(4 << 3) | 2, ...varint(length)]);
  agent.call.write(Buffer.concat([header, ...parts], header.length + length));
  stats.batches += 1;
  stats.bytes += header.length + length;
  stats.results += results;
}

function hello(agent: SimAgent): Buffer {
  const i = agent.index;
  const host = agent.network === 'host';
  return Buffer.from(
    toBinary(
      ConnectRequestSchema,
      create(ConnectRequestSchema, {
        payload: {
          case: 'hello',
          value: {
            nodeName: nodeName(i),
            network: host ? Network.HOST : Network.POD,
            addresses: [host ? underlayIp(i) : podIp(i)],
            ...(host && layout === 'via-overlay' ? { podProbeAddress: overlayIp(i) } : {}),
            podCidrs: [podCidr(i)],
            agentVersion: 'sim',
            acceptsPeerSetDeltas: true,
            instanceId: `sim-${i}-${host ? 'h' : 'p'}`,
            startedAtUnixMs: BigInt(Date.now()),
            probeAddress: host ? underlayIp(i) : podIp(i),
            probePort: 7946,
            overlay: host
              ? {
                  kind: OverlayKind.FLANNEL_VXLAN,
                  name: 'flannel.1',
                  vni: 1,
                  port: 8472,
                  vtepIp: underlayIp(i),
                  vtepMac: `0a:58:${[(i >> 16) & 255, (i >> 8) & 255, i & 255, 1].map((b) => b.toString(16).padStart(2, '0')).join(':')}`,
                  mtu: 1450,
                  underlayMtu: 1500,
                }
              : { kind: OverlayKind.NONE },
          },
        },
      }),
    ),
  );
}

function report(): Buffer {
  return Buffer.from(
    toBinary(
      ConnectRequestSchema,
      create(ConnectRequestSchema, {
        payload: {
          case: 'nodeReport',
          value: {
            observedAtUnixMs: BigInt(Date.now()),
            peerSetGeneration: 1n,
            overlay: {
              kind: OverlayKind.FLANNEL_VXLAN,
              peersChecked: nodes - 1,
              peersOk: nodes - 1,
              problems: [],
              healthyDigest: 'sim',
              durationSeconds: 0.02,
            },
            links: [
              { name: 'flannel.1', role: LinkRole.OVERLAY, present: true, up: true, operState: 'UNKNOWN', mtu: 1450, kind: 'vxlan' },
              { name: 'cni0', role: LinkRole.POD_BRIDGE, present: true, up: true, operState: 'UP', mtu: 1450, kind: 'bridge' },
              { name: 'eth0', role: LinkRole.UNDERLAY, present: true, up: true, operState: 'UP', mtu: 1500, kind: 'veth' },
            ],
            conntrack: { available: true, entries: 120n, maxEntries: 262144n },
            trigger: 'periodic',
          },
        },
      }),
    ),
  );
}

const channels: grpc.Client[] = [];
const agents: SimAgent[] = [];
const identity = (b: Buffer): Buffer => b;
let stopping = false;

/** ConnectRequest{heartbeat{sent_at_unix_ms}}: what a real agent's uplink writes every heartbeat interval. */
function heartbeat(): Buffer {
  const inner = [(1 << 3) | 0, ...varint(Date.now())];
  return Buffer.from([(3 << 3) | 2, ...varint(inner.length), ...inner]);
}

function welcomed(agent: SimAgent, call: grpc.ClientDuplexStream<Buffer, Buffer>, bytes: Buffer): void {
  stats.welcomed += 1;
  stats.lastWelcomeMs = performance.now();
  const [, bodyAt] = readVarint(bytes, 1);
  const { varints } = walkFields(bytes, bodyAt, bytes.length);
  const heartbeatMs = (varints.get(2) ?? 5) * 1000;
  const reportMs = (varints.get(3) ?? 30) * 1000;
  if (agent.network === 'host') {
    call.write(report());
    stats.reports += 1;
    agent.reportTimer = setInterval(() => {
      if (!call.writable) return;
      call.write(report());
      stats.reports += 1;
    }, reportMs);
  }
  // Heartbeats go whatever else the agent sends (agent/src/uplink/uplink.ts), from a random phase.
  agent.heartbeatTimer = setTimeout(function beat() {
    if (call.writable) {
      call.write(heartbeat());
      stats.heartbeats += 1;
    }
    agent.heartbeatTimer = setTimeout(beat, heartbeatMs);
  }, heartbeatMs * Math.random());
  const tick = (): void => {
    round(agent);
    agent.timer = setTimeout(tick, intervalMs * (0.9 + 0.2 * Math.random()));
  };
  agent.timer = setTimeout(tick, intervalMs * Math.random());
}

function connect(agent: SimAgent, client: grpc.Client): void {
  const call = client.makeBidiStreamRequest(connectPath, identity, identity, new grpc.Metadata());
  agent.call = call;
  call.on('data', (bytes: Buffer) => {
    // welcome (field 1), peer set (field 2) or delta (field 3): counted, not decoded.
    if (bytes[0] === ((1 << 3) | 2)) return welcomed(agent, call, bytes);
    stats.peerSetBytes += bytes.length;
    const [, bodyAt] = readVarint(bytes, 1);
    const { varints, entries } = walkFields(bytes, bodyAt, bytes.length);
    stats.peerEntries += entries;
    if (bytes[0] === ((2 << 3) | 2)) {
      stats.fullSets += 1;
      stats.fullSetBytes += bytes.length;
      agent.generation = varints.get(1) ?? 0;
    } else if (bytes[0] === ((3 << 3) | 2)) {
      stats.deltas += 1;
      stats.deltaBytes += bytes.length;
      if (agent.generation < 0 || (varints.get(1) ?? 0) !== agent.generation) stats.deltaMismatches += 1;
      agent.generation = varints.get(2) ?? 0;
    }
  });
  call.on('error', () => {
    if (!stopping) stats.errors += 1;
  });
  call.on('end', () => undefined);
  agent.generation = -1;
  call.write(hello(agent));
  stats.connected += 1;
}

function start(): void {
  let i = 0;
  for (let node = from; node < to; node++) {
    for (const network of networksPerNode) {
      const channelIndex = Math.floor(i / streamsPerChannel);
      if (!channels[channelIndex]) {
        channels[channelIndex] = new grpc.Client(target, grpc.credentials.createInsecure(), {
          'grpc.max_receive_message_length': 64 * 1024 * 1024,
          // 250 streams share one HTTP/2 connection here (a real agent has its own): without a
          // larger connection window they share 64 KiB of it.
          ...(windowMiB > 0 ? { 'grpc-node.flow_control_window': windowMiB * 2 ** 20 } : {}),
          // A distinct option per channel: its own subchannel, i.e. its own HTTP/2 connection.
          'netsentry.sim_channel': `${from}-${channelIndex}`,
        });
      }
      const peers = nodes - 1;
      let step = 1 + ((node * 7919 + (network === 'pod' ? 104729 : 0)) % Math.max(1, peers - 1));
      while (gcd(step, peers) !== 1) step += 1;
      const agent: SimAgent = { index: node, network, generation: -1, cursor: (node * 31) % Math.max(1, peers), step, suspects: new Set() };
      agents.push(agent);
      stats.agents += 1;
      i++;
    }
  }
  // The connect ramp: agents in order, rampPerSecond of them per second (in 100 ms steps).
  stats.firstConnectMs = performance.now();
  let next = 0;
  const step = (): void => {
    const due =
      rampPerSecond > 0
        ? Math.min(agents.length, Math.ceil(((performance.now() - stats.firstConnectMs) / 1000) * rampPerSecond))
        : agents.length;
    const until = Math.min(agents.length, Math.max(due, next + 1));
    for (; next < until; next++) connect(agents[next]!, channels[Math.floor(next / streamsPerChannel)]!);
    if (next < agents.length) rampTimer = setTimeout(step, 100);
  };
  step();
}
let rampTimer: NodeJS.Timeout | undefined;

process.on('message', (message: { type: string; node?: number; fix?: boolean }) => {
  if (message.type === 'break' && message.node !== undefined) {
    if (message.fix) broken.delete(message.node);
    else broken.add(message.node);
  } else if (message.type === 'stats') process.send?.({ type: 'stats', stats, cpu: process.cpuUsage(), memory: process.memoryUsage() });
  else if (message.type === 'stop') {
    stopping = true;
    clearTimeout(rampTimer);
    for (const agent of agents) {
      clearTimeout(agent.timer);
      clearTimeout(agent.heartbeatTimer);
      clearInterval(agent.reportTimer);
      agent.call?.end();
    }
    for (const channel of channels) channel.close();
    setTimeout(() => process.exit(0), 500).unref();
  }
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
start();
process.send?.({ type: 'started', agents: stats.agents });
