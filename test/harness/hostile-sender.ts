// Bounded hostile senders toward one agent's probe port, run inside a lab namespace by the
// hostile-peer suite (and usable by hand). Exits by itself; prints one JSON line.
//   udp-flood HOST PORT RATE SECONDS   datagrams with made-up sender names, RATE per second
//   idle-tcp  HOST PORT COUNT SECONDS  COUNT idle TCP connections held open for SECONDS
// Usage: node test/harness/hostile-sender.ts udp-flood 192.0.2.12 7946 5000 3
import { createSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { encodeProbe, probeKind } from '../../agent/src/probe/probe-wire.ts';

const [mode, host, portText, amountText, secondsText] = process.argv.slice(2);
const port = Number(portText);
const amount = Math.min(Number(amountText), 20_000); // bounded whatever the caller asks
const seconds = Math.min(Number(secondsText), 10);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

if (mode === 'udp-flood') {
  const socket = createSocket('udp4');
  let sent = 0;
  // Datagrams handed to send() whose callback has not run yet: close only once they are out.
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const sentOne = (): void => {
    inFlight--;
    if (inFlight === 0) drained?.();
  };
  const started = Date.now();
  while (Date.now() - started < seconds * 1000) {
    // One tick every 10 ms: RATE/100 datagrams each.
    for (let k = 0; k < amount / 100; k++) {
      socket.send(
        encodeProbe({ kind: probeKind.request, sequence: sent, sentAtMicros: 1, nodeName: `made-up-${sent % 20_000}`, network: 1 }, 30),
        port,
        host,
        sentOne,
      );
      inFlight++;
      sent++;
    }
    await sleep(10); // pacing: RATE per second, not synchronization
  }
  if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
  socket.close();
  console.log(JSON.stringify({ mode, sent }));
} else if (mode === 'idle-tcp') {
  const sockets: Socket[] = [];
  for (let i = 0; i < amount; i++) {
    const s = connect(port, host);
    s.on('error', () => undefined);
    sockets.push(s);
  }
  await sleep(seconds * 1000);
  const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length;
  for (const s of sockets) s.destroy();
  console.log(JSON.stringify({ mode, opened: amount, stillOpenAtEnd: open }));
} else {
  console.error(`unknown mode ${mode}`);
  process.exitCode = 2;
}
