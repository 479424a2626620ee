// Hostile senders against one probe responder, in-process on loopback (bounded: 3 s, 30,000
// datagrams; 256 TCP connections). For before/after: --tree DIR runs another checkout's
// responder (an old one ignores the peer-set option). Prints one JSON line per attack.
//  flood: 100 stranger addresses (127.0.9.1–100, a child process) send 100 datagrams/s each
//         with made-up names for 3 s while the peer node-2 (127.0.0.1) probes 20 times a
//         second: the peer's reply ratio, and the receipts the next batch would carry.
//  idle:  256 idle TCP connections from 16 stranger addresses (127.0.8.1–16), then the peer
//         opens a TCP probe: answered or not, and how soon the idle slots free up.
// Usage: node bench/hostile-responder.ts [--tree DIR]
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const tree = arg('tree') ?? fileURLToPath(new URL('..', import.meta.url));
const wire = await import(`${tree}/agent/src/probe/probe-wire.ts`);
const request = (sequence: number, nodeName: string): Buffer =>
  wire.encodeProbe({ kind: wire.probeKind.request, sequence, sentAtMicros: 1, nodeName, network: 1 }, 64);

if (process.argv.includes('--flooder')) {
  const port = Number(arg('port'));
  const sockets = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) =>
        new Promise<ReturnType<typeof createSocket>>((resolve) => {
          const s = createSocket('udp4');
          s.bind(0, `127.0.9.${i + 1}`, () => resolve(s));
        }),
    ),
  );
  let seq = 0;
  const started = Date.now();
  // 100 sources × 10 datagrams every 100 ms = 100/s each, for 3 s.
  const timer = setInterval(() => {
    if (Date.now() - started >= 3000) {
      clearInterval(timer);
      for (const s of sockets) s.close();
      process.send?.({ sent: seq }, () => process.exit(0));
      return;
    }
    for (const s of sockets) for (let k = 0; k < 10; k++) s.send(request(seq, `made-up-${seq++ % 50_000}`), port, '127.0.0.1');
  }, 100);
} else {
  const { createProbeResponder } = await import(`${tree}/agent/src/probe/probe-responder.ts`);
  const { createSilentLogger } = await import(`${tree}/shared/src/logger.ts`);
  // The peer set: node-2's host agent on 127.0.0.1 (the current code's option; an old one ignores it).
  const senders = {
    isPeerAddress: (a: string) => a === '127.0.0.1',
    isSender: (a: string, n: string) => a === '127.0.0.1' && n === 'node-2',
    isOverlaySource: () => false,
  };
  const responder = createProbeResponder({ logger: createSilentLogger(), senders });
  const { udpPort } = await responder.listen('127.0.0.1', 0);

  // flood
  const child = fork(fileURLToPath(import.meta.url), ['--flooder', '--port', String(udpPort), '--tree', tree]);
  const peer = createSocket('udp4');
  await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', () => resolve()));
  let replies = 0;
  peer.on('message', () => replies++);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the flood is under way
  for (let i = 0; i < 50; i++) {
    peer.send(request(i, 'node-2'), udpPort, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sent = await new Promise<number>((resolve) => child.once('message', (m: { sent: number }) => resolve(m.sent)));
  const receipts = responder.drainReceipts() as { sourceNode: string; requests: number }[];
  console.log(
    JSON.stringify({
      attack: 'udp-flood',
      strangerDatagrams: sent,
      peerRequests: 50,
      peerReplies: replies,
      peerLossPercent: Math.round((1 - replies / 50) * 100),
      receiptEntries: receipts.length,
      receiptRequests: receipts.reduce((n, r) => n + r.requests, 0),
      stats: responder.stats,
    }),
  );
  peer.close();

  // idle
  const idle: Socket[] = [];
  for (let a = 1; a <= 16; a++)
    for (let k = 0; k < 16; k++) {
      const s = connect({ port: udpPort, host: '127.0.0.1', localAddress: `127.0.8.${a}` });
      s.on('error', () => undefined);
      idle.push(s);
    }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const tcpProbe = (): Promise<boolean> =>
    new Promise((resolve) => {
      const s = connect(udpPort, '127.0.0.1', () => s.write(request(1, 'node-2')));
      const timer = setTimeout(() => {
        s.destroy();
        resolve(false);
      }, 1000);
      s.once('data', () => {
        clearTimeout(timer);
        s.destroy();
        resolve(true);
      });
      s.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
      s.on('error', () => undefined);
    });
  const answeredWhileIdle = await tcpProbe();
  const started = Date.now();
  const openAt = (): number => idle.filter((s) => !s.destroyed && s.readyState === 'open').length;
  while (openAt() > 0 && Date.now() - started < 12_000) await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(
    JSON.stringify({
      attack: 'idle-tcp',
      idleConnections: 256,
      fromAddresses: 16,
      peerTcpProbeAnswered: answeredWhileIdle,
      idleStillOpen: openAt(),
      idleClosedWithinSeconds: openAt() === 0 ? (Date.now() - started) / 1000 : null,
    }),
  );
  for (const s of idle) s.destroy();
  await responder.close();
  process.exit(0);
}
