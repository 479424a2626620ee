// One token holder against a live collector on loopback (bounded in count and time). For
// before/after: --tree DIR runs another checkout's collector. Prints one JSON line per attack:
//  identities: --nodes made-up node names, each a stream that says hello and goes (8 at a time,
//              the per-address stream cap): nodes admitted, refusals, collector RSS.
//  reports:    --reports made-up nodes each leave a report listing --report-peers problem
//              peers (~784 KB at 2,900): RSS after, reports refused or trimmed.
//  api:        GET /api/v1/nodes, 5 times: the slowest answer.
//  interval:   one probe batch claiming interval_seconds 3600: the windowSeconds the API reports.
// Addresses: made-up nodes claim 192.0.2.x probe addresses (nothing is sent to them: the
// collector only stores them). Usage: node bench/hostile-collector.ts [--tree DIR] [--nodes 2000] [--reports 48]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { ConnectRequestSchema, HelloSchema } from '../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, OverlayKind } from '../shared/src/gen/netsentry/v1/node_pb.js';
import { connectPath, decodeResponse, encodeRequest } from '../shared/src/wire.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const tree = arg('tree', fileURLToPath(new URL('..', import.meta.url)));
const nodeCount = Number(arg('nodes', '2000'));
const reportCount = Number(arg('reports', '48'));
const reportPeers = Number(arg('report-peers', '2900'));
const grpcPort = 17443 + Math.floor(Math.random() * 1000);
const httpPort = grpcPort + 1000;

const collector = spawn(
  process.execPath,
  [
    `${tree}/collector/src/main.ts`,
    '--grpc-listen',
    `127.0.0.1:${grpcPort}`,
    '--http-listen',
    `127.0.0.1:${httpPort}`,
    '--log-level',
    'info',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let logLines = 0;
collector.stdout!.on('data', (chunk: Buffer) => {
  for (const byte of chunk) if (byte === 10) logLines++;
});
const rssMiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${collector.pid}/status`, 'utf8'))![1]) / 1024;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const deadline = Date.now() + 10_000;
while (Date.now() < deadline) {
  const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ok) break;
  await sleep(200);
}
const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
const ip = (i: number): string => `192.0.2.${20 + (i % 200)}`;
const hello = (name: string, i: number) =>
  create(ConnectRequestSchema, {
    payload: {
      case: 'hello',
      value: create(HelloSchema, {
        nodeName: name,
        network: Network.HOST,
        addresses: [ip(i)],
        podCidrs: [`198.18.${i % 256}.0/24`],
        agentVersion: 'x',
        probeAddress: ip(i),
        probePort: 7946,
        overlay: {
          kind: OverlayKind.FLANNEL_VXLAN,
          name: 'flannel.1',
          vni: 1,
          port: 8472,
          vtepIp: ip(i),
          vtepMac: '0a:58:00:00:00:01',
          mtu: 1450,
          underlayDevice: 'eth0',
          underlayMtu: 1500,
        },
      }),
    },
  });

/** One stream: hello, then `then` messages, then close; resolves with the status code (0 = welcomed and closed by us). */
function visit(
  name: string,
  i: number,
  then: ReturnType<typeof create<typeof ConnectRequestSchema>>[] = [],
): Promise<{ welcomed: boolean; code?: number; details?: string }> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest(connectPath, encodeRequest, decodeResponse);
    let welcomed = false;
    const timer = setTimeout(() => {
      call.cancel();
    }, 5_000);
    call.on('data', (m: { payload: { case?: string } }) => {
      if (m.payload.case !== 'welcome') return;
      welcomed = true;
      for (const message of then) call.write(message);
      setTimeout(() => call.end(), then.length > 0 ? 300 : 0);
    });
    call.on('error', () => undefined);
    call.on('status', (s: grpc.StatusObject) => {
      clearTimeout(timer);
      resolve({ welcomed, code: s.code, details: s.details });
    });
    call.write(hello(name, i));
  });
}

async function pool<T>(count: number, width: number, run: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await run(i);
      }
    }),
  );
  return out;
}

const rssBefore = rssMiB();
const started = Date.now();
const identities = await pool(nodeCount, 8, (i) => visit(`made-up-${i}`, i));
const refusals = identities.filter((r) => !r.welcomed);
console.log(
  JSON.stringify({
    attack: 'identities',
    tried: nodeCount,
    seconds: (Date.now() - started) / 1000,
    admitted: identities.filter((r) => r.welcomed).length,
    refused: refusals.length,
    firstRefusal: refusals[0]?.details,
    rssBeforeMiB: Math.round(rssBefore),
    rssAfterMiB: Math.round(rssMiB()),
  }),
);

const problems = Array.from({ length: reportPeers }, (_, j) => ({
  peer: `peer-${String(j).padStart(5, '0')}-of-a-made-up-cluster`,
  parts: [1, 2, 3].map((part) => ({
    part,
    problem: 1,
    expected: `198.18.${j % 256}.0/24 via 198.18.${j % 256}.0 dev flannel.1 onlink and more text`,
    actual: '',
  })),
}));
const report = create(ConnectRequestSchema, {
  payload: {
    case: 'nodeReport',
    value: { observedAtUnixMs: 1n, overlay: { kind: OverlayKind.FLANNEL_VXLAN, peersChecked: reportPeers, peersOk: 0, problems } },
  },
});
const reportBytes = encodeRequest(report).length;
const reports = await pool(reportCount, 4, (i) => visit(`big-report-${i}`, i, [report]));
await sleep(2000);
console.log(
  JSON.stringify({
    attack: 'reports',
    nodes: reportCount,
    reportBytes,
    welcomed: reports.filter((r) => r.welcomed).length,
    rssAfterMiB: Math.round(rssMiB()),
  }),
);

let slowestMs = 0;
let bytes = 0;
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  const body = await fetch(`http://127.0.0.1:${httpPort}/api/v1/nodes`).then((r) => r.text());
  bytes = body.length;
  slowestMs = Math.max(slowestMs, performance.now() - t);
}
const paged = performance.now();
await fetch(`http://127.0.0.1:${httpPort}/api/v1/nodes?limit=50`).then((r) => r.text());
console.log(
  JSON.stringify({
    attack: 'api',
    slowestNodesMs: Math.round(slowestMs),
    nodesBytes: bytes,
    pagedLimit50Ms: Math.round(performance.now() - paged),
  }),
);

const batch = create(ConnectRequestSchema, {
  payload: { case: 'probeBatch', value: { intervalSeconds: 3600, results: [], receipts: [] } },
});
await visit('wide-interval', 7, [batch]);
const matrix = (await fetch(`http://127.0.0.1:${httpPort}/api/v1/matrix`).then((r) => r.json())) as { windowSeconds: number };
console.log(
  JSON.stringify({
    attack: 'interval',
    claimedIntervalSeconds: 3600,
    windowSeconds: matrix.windowSeconds,
    rssFinalMiB: Math.round(rssMiB()),
    logLines,
  }),
);
client.close();
collector.kill('SIGTERM');
await new Promise((resolve) => collector.once('exit', resolve));
process.exit(0);
