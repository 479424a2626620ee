// The shared-socket UDP prober against scripted echo servers on 127.0.0.1: what it accepts
// as a reply, and that one socket per round serves every peer.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerTarget } from './probe-types.ts';
import { decodeProbe, probeKind, probeNetwork, toReply } from './probe-wire.ts';
import { createUdpProber } from './udp-prober.ts';

const identity = { nodeName: 'node-1', network: probeNetwork.host };
type Answer = (msg: Buffer, rinfo: RemoteInfo, socket: Socket) => void;
const servers: Socket[] = [];

async function echoServer(answer: Answer, host = '127.0.0.1'): Promise<{ port: number; sources: string[] }> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const sources: string[] = [];
  socket.on('message', (msg, rinfo) => {
    sources.push(`${rinfo.address}:${rinfo.port}`);
    answer(msg, rinfo, socket);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  servers.push(socket);
  return { port: socket.address().port, sources };
}
const echo: Answer = (msg, rinfo, socket) => socket.send(toReply(msg), rinfo.port, rinfo.address);
const target = (port: number, nodeName = 'node-2'): PeerTarget => ({
  nodeName,
  network: probeNetwork.host,
  address: '127.0.0.1',
  port,
  mtu: 1500,
});

afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('UDP prober (one socket per round)', () => {
  it('answers the ladder of every peer from one source port, and a new round uses a new one', async () => {
    const a = await echoServer(echo);
    const b = await echoServer(echo);
    const round = async (): Promise<void> => {
      const prober = createUdpProber({ identity, timeoutMs: 1000, spacingMs: 5, signal: new AbortController().signal });
      const [ra, rb] = await Promise.all([prober.probe(target(a.port)), prober.probe(target(b.port, 'node-3'))]);
      prober.close();
      for (const r of [...ra, ...rb]) expect(r).toMatchObject({ ok: true, error: '' });
      expect(ra.map((r) => [r.sizeBytes, r.large])).toEqual([
        [32, false],
        [32, false],
        [32, false],
        [1480, true],
        [1480, true],
      ]);
      expect(rb.every((r) => r.targetNode === 'node-3')).toBe(true);
      for (const r of ra) {
        expect(r.rttSeconds).toBeGreaterThan(0);
        expect(r.rttSeconds).toBeLessThan(1);
      }
    };
    await round();
    expect(new Set([...a.sources, ...b.sources]).size).toBe(1);
    await round();
    expect(new Set([...a.sources, ...b.sources]).size).toBe(2);
  });

  it('counts only true echoes: wrong sequence, wrong sender name, shorter reply, other source port → timeout', async () => {
    const cases: Record<string, Answer> = {
      sequence: (msg, rinfo, s) => {
        const out = toReply(msg);
        out.writeUInt32BE((out.readUInt32BE(8) + 1000) >>> 0, 8);
        s.send(out, rinfo.port, rinfo.address);
      },
      name: (msg, rinfo, s) => {
        const out = toReply(msg);
        out.write('X', 18);
        s.send(out, rinfo.port, rinfo.address);
      },
      shorter: (msg, rinfo, s) => s.send(toReply(msg).subarray(0, 24), rinfo.port, rinfo.address),
      request: (msg, rinfo, s) => s.send(msg, rinfo.port, rinfo.address),
      otherPort: (msg, rinfo) => {
        const other = createSocket('udp4');
        other.send(toReply(msg), rinfo.port, rinfo.address, () => other.close());
      },
    };
    const prober = createUdpProber({ identity, timeoutMs: 300, spacingMs: 5, signal: new AbortController().signal });
    const results = await Promise.all(Object.values(cases).map(async (answer) => prober.probe(target((await echoServer(answer)).port))));
    prober.close();
    for (const [i, name] of Object.keys(cases).entries()) {
      // The small probes carry no padding: a reply cut to 24 bytes is still a whole small one.
      const expected = name === 'shorter' ? ['', '', '', 'timeout', 'timeout'] : Array(5).fill('timeout');
      expect([name, results[i]!.map((r) => r.error)]).toEqual([name, expected]);
    }
  });

  it('IPv6: a peer address written longhand still matches the replies (compared in canonical form)', async () => {
    const server = await echoServer(echo, '::1');
    const prober = createUdpProber({ identity, timeoutMs: 1000, spacingMs: 5, signal: new AbortController().signal });
    const results = await prober.probe({ ...target(server.port), address: '0:0:0:0:0:0:0:1' });
    prober.close();
    expect(results.map((r) => r.error)).toEqual(Array(5).fill(''));
  });

  it('a reply later than the timeout counts as lost', async () => {
    // Each reply leaves 250 ms after its request arrived: later than the 150 ms timeout however loaded the machine.
    const timers: NodeJS.Timeout[] = [];
    let lateSent = 0;
    const late = await echoServer(
      (msg, rinfo, s) => void timers.push(setTimeout(() => s.send(toReply(msg), rinfo.port, rinfo.address, () => (lateSent += 1)), 250)),
    );
    const prober = createUdpProber({ identity, timeoutMs: 150, spacingMs: 40, signal: new AbortController().signal });
    const results = await prober.probe(target(late.port));
    // The prober's socket stays open until every late reply is out: they must not disturb it.
    await expect.poll(() => lateSent, { timeout: 5_000 }).toBe(5);
    prober.close();
    for (const t of timers) clearTimeout(t);
    expect(results.map((r) => r.error)).toEqual(Array(5).fill('timeout'));
  });

  it('spaces the probes on a grid and stamps when each went out', async () => {
    const seen: number[] = [];
    const server = await echoServer((msg, rinfo, s) => {
      seen.push(performance.now());
      expect(decodeProbe(msg)?.kind).toBe(probeKind.request);
      echo(msg, rinfo, s);
    });
    const before = Date.now();
    const prober = createUdpProber({ identity, timeoutMs: 1000, spacingMs: 40, signal: new AbortController().signal });
    const results = await prober.probe(target(server.port));
    prober.close();
    expect(seen).toHaveLength(5);
    // 4 gaps of 40 ms on the send grid. Seen at the receiver, the first probe can arrive late
    // (the socket binds on its first send), shortening the span by a few ms; without spacing
    // it would be ~0.
    expect(seen[4]! - seen[0]!).toBeGreaterThanOrEqual(150);
    for (const r of results) expect(r.sentAtUnixMs).toBeGreaterThanOrEqual(before);
    // Whole-millisecond stamps, and Node's timers run on the loop's millisecond clock: a few ms of slack.
    expect(results[4]!.sentAtUnixMs - results[0]!.sentAtUnixMs).toBeGreaterThanOrEqual(155);
  });

  it('abort settles every open probe at once as timeout', async () => {
    // Aborted once the first probe arrives (provably open), long before the 5 s timeout.
    const controller = new AbortController();
    let abortedAt = 0;
    const silent = await echoServer(() => {
      if (abortedAt) return;
      abortedAt = performance.now();
      controller.abort();
    });
    const prober = createUdpProber({ identity, timeoutMs: 5000, spacingMs: 10, signal: controller.signal });
    const results = await prober.probe(target(silent.port));
    prober.close();
    expect(abortedAt).toBeGreaterThan(0);
    expect(performance.now() - abortedAt).toBeLessThan(1000);
    expect(results.every((r) => !r.ok && r.error === 'timeout')).toBe(true);
    expect(
      await createUdpProber({ identity, timeoutMs: 5000, spacingMs: 10, signal: controller.signal }).probe(target(silent.port)),
    ).toHaveLength(5);
  });
});
