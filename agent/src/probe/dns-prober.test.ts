import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { decode, encode, type Packet } from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { probeDnsTcp, probeDnsUdp } from './dns-prober.ts';

type Behaviour = 'ok' | 'servfail' | 'nxdomain' | 'empty' | 'wrong-id' | 'silent';

// A tiny resolver on 127.0.0.1 answering by behaviour, over UDP and TCP on the same port.
function answer(query: Buffer, behaviour: Behaviour): Buffer | undefined {
  const q = decode(query);
  if (behaviour === 'silent') return undefined;
  const rcode = behaviour === 'servfail' ? 2 : behaviour === 'nxdomain' ? 3 : 0;
  const reply: Packet = {
    type: 'response',
    id: behaviour === 'wrong-id' ? ((q.id ?? 0) + 1) % 65536 : q.id,
    flags: rcode,
    questions: q.questions,
    answers: behaviour === 'ok' ? [{ type: 'A', class: 'IN', name: q.questions?.[0]?.name ?? '', ttl: 5, data: '198.18.0.10' }] : [],
  };
  return encode(reply);
}

let servers: (Socket | Server)[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  servers = [];
});

// UDP takes a free port and TCP the same number, which another process may hold for TCP: try again then.
async function startDns(behaviour: Behaviour): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDnsOnce(behaviour);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 20) throw err;
    }
  }
}

async function startDnsOnce(behaviour: Behaviour): Promise<number> {
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const out = answer(msg, behaviour);
    if (out) udp.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const port = udp.address().port;
  const tcp = createServer((socket) => {
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      if (pending.length < 2 || pending.length < 2 + pending.readUInt16BE(0)) return;
      const out = answer(pending.subarray(2, 2 + pending.readUInt16BE(0)), behaviour);
      if (out) socket.write(Buffer.concat([Buffer.from([out.length >> 8, out.length & 0xff]), out]));
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    tcp.once('error', (err) => {
      udp.close();
      reject(err);
    });
    tcp.listen(port, '127.0.0.1', resolve);
  });
  servers.push(udp, tcp);
  return port;
}

const options = { timeoutMs: 300, signal: new AbortController().signal };
const name = 'kubernetes.default.svc.cluster.local';

describe('DNS probes', () => {
  it('is ok for NOERROR with an answer, over UDP and TCP', async () => {
    const port = await startDns('ok');
    const dns = { host: '127.0.0.1', port, name };
    const [udp, tcp] = await Promise.all([probeDnsUdp(dns, options), probeDnsTcp(dns, options)]);
    expect(udp).toMatchObject({ protocol: ProbeProtocol.DNS_UDP, ok: true, error: '', target: `127.0.0.1:${port}`, targetNode: '' });
    expect(tcp).toMatchObject({ protocol: ProbeProtocol.DNS_TCP, ok: true, error: '' });
    expect(udp.rttSeconds).toBeGreaterThan(0);
    expect(udp.rttSeconds).toBeLessThan(0.3);
    expect(tcp.sizeBytes).toBe(udp.sizeBytes - 8 + 2); // query + length prefix vs query + UDP header
  });

  it.each([
    ['servfail', 'servfail'],
    ['nxdomain', 'nxdomain'],
    ['empty', 'error'],
    ['wrong-id', 'timeout'],
    ['silent', 'timeout'],
  ] as const)('%s → %s', async (behaviour, error) => {
    const port = await startDns(behaviour);
    const dns = { host: '127.0.0.1', port, name };
    const [udp, tcp] = await Promise.all([probeDnsUdp(dns, options), probeDnsTcp(dns, options)]);
    expect(udp).toMatchObject({ ok: false, error });
    // TCP: a reply with the wrong id is the one reply on that connection, so it is an error.
    expect(tcp).toMatchObject({ ok: false, error: behaviour === 'wrong-id' ? 'error' : error });
  });

  it('a closed port is refused (UDP via ICMP, TCP via RST)', async () => {
    const port = await startDns('ok');
    await afterEachClose();
    const dns = { host: '127.0.0.1', port, name };
    const [udp, tcp] = await Promise.all([probeDnsUdp(dns, options), probeDnsTcp(dns, options)]);
    expect(['refused', 'timeout']).toContain(udp.error);
    expect(tcp.error).toBe('refused');
  });
});

async function afterEachClose(): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  servers = [];
}
