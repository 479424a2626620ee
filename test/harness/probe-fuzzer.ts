// Runs inside a lab namespace: sends mutated and random probe messages to agents' probe
// ports over UDP and TCP and checks every reply is no larger than its request. Prints one
// JSON line with the counts. Usage: probe-fuzzer.ts <seed> <udpCount> <tcpCount> <deadlineMs> <host:port>...
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { encodeProbe, probeKind, probeNetwork } from '../../agent/src/probe/probe-wire.ts';
import { createPrng, mutate, randomBytes, randomInt } from './fuzz-bytes.ts';

const [seedArg, udpArg, tcpArg, deadlineArg, ...targetArgs] = process.argv.slice(2);
const rand = createPrng(Number(seedArg));
const deadline = Date.now() + Number(deadlineArg);
const targets = targetArgs.map((t) => ({ host: t.slice(0, t.lastIndexOf(':')), port: Number(t.slice(t.lastIndexOf(':') + 1)) }));
const stats = { udpSent: 0, udpReplies: 0, tcpConnections: 0, tcpBytesSent: 0, tcpBytesReceived: 0, amplified: 0, maxReplyRatio: 0 };

const sample = (): Buffer => {
  const valid = encodeProbe(
    {
      kind: probeKind.request,
      sequence: randomInt(rand, 2 ** 31),
      sentAtMicros: 1,
      nodeName: `fuzz-${randomInt(rand, 9)}`,
      network: probeNetwork.host,
    },
    randomInt(rand, 1600),
  );
  const pick = randomInt(rand, 4);
  if (pick === 0) return randomBytes(rand, randomInt(rand, 1500));
  if (pick === 1) return valid; // well-formed: must be answered at most at its own size
  return mutate(rand, valid);
};

async function fuzzUdp(count: number): Promise<void> {
  const socket = createSocket('udp4');
  const sizes = new Map<string, number>(); // last request size per target, to compare replies
  socket.on('message', (msg, rinfo) => {
    stats.udpReplies++;
    const sent = sizes.get(`${rinfo.address}:${rinfo.port}`) ?? 0;
    // A reply larger than the largest request we ever sent would be amplification.
    if (msg.length > sent) stats.amplified++;
  });
  await new Promise<void>((resolve) => socket.bind(0, resolve));
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const target = targets[i % targets.length]!;
    const payload = sample();
    const key = `${target.host}:${target.port}`;
    sizes.set(key, Math.max(sizes.get(key) ?? 0, payload.length));
    await new Promise<void>((resolve) => socket.send(payload, target.port, target.host, () => resolve()));
    stats.udpSent++;
    if (i % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 500)); // a window for late replies: counted, not waited for
  socket.close();
}

async function fuzzTcp(count: number): Promise<void> {
  for (let i = 0; i < count && Date.now() < deadline; i++) {
    const target = targets[i % targets.length]!;
    const frames = Array.from({ length: 1 + randomInt(rand, 3) }, sample);
    const payload = Buffer.concat(frames);
    stats.tcpConnections++;
    await new Promise<void>((resolve) => {
      let received = 0;
      const socket = connect(target.port, target.host, () => {
        socket.write(payload);
        stats.tcpBytesSent += payload.length;
      });
      const done = (): void => {
        socket.destroy();
        stats.tcpBytesReceived += received;
        if (received > payload.length) stats.amplified++;
        if (payload.length > 0) stats.maxReplyRatio = Math.max(stats.maxReplyRatio, received / payload.length);
        resolve();
      };
      socket.on('data', (d) => (received += d.length));
      socket.setTimeout(300, done);
      socket.on('close', done);
      socket.on('error', () => undefined);
    });
  }
}

await fuzzUdp(Number(udpArg));
await fuzzTcp(Number(tcpArg));
process.stdout.write(`${JSON.stringify({ probeFuzz: stats })}\n`);
