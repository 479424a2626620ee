// DNS probes: one A query over UDP and one over TCP (2-byte length prefix) to the resolver.
// ok = NOERROR with at least one answer; the reply id must match the query id.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { decode, encode, RECURSION_DESIRED } from 'dns-packet';
import { dnsRcodeReason, probeErrorReason } from './probe-errors.ts';
import { probeProtocol, hostPort, secondsSince, type DnsTarget, type ProbeErrorReason, type RawResult } from './probe-types.ts';

interface DnsProbeOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

function query(name: string): { id: number; bytes: Buffer } {
  const id = randomInt(0, 65536);
  return { id, bytes: encode({ type: 'query', id, flags: RECURSION_DESIRED, questions: [{ type: 'A', class: 'IN', name }] }) };
}

/** The verdict on a reply; undefined when it is not the answer to our query (keep waiting). */
export function judgeDnsReply(reply: Buffer, id: number): ProbeErrorReason | '' | undefined {
  let packet;
  try {
    packet = decode(reply);
  } catch {
    return 'error';
  }
  if (packet.id !== id || packet.type !== 'response') return undefined;
  const reason = dnsRcodeReason((packet.flags ?? 0) & 0xf);
  if (reason) return reason;
  return (packet.answers?.length ?? 0) > 0 ? '' : 'error';
}

type Finish = (error: ProbeErrorReason | '', rttSeconds?: number) => void;

/** Runs one exchange with a deadline and abort; `start` wires the transport and calls finish. */
function exchange(
  protocol: (typeof probeProtocol)[keyof typeof probeProtocol],
  dns: DnsTarget,
  sizeBytes: number,
  options: DnsProbeOptions,
  start: (finish: Finish) => () => void,
): Promise<RawResult> {
  const base: RawResult = {
    targetNode: '',
    protocol,
    ok: false,
    rttSeconds: 0,
    sizeBytes,
    error: 'timeout',
    sentAtUnixMs: Date.now(),
    targetNetwork: 0,
    target: hostPort(dns.host, dns.port),
    large: false,
    sendDelaySeconds: 0,
  };
  return new Promise((resolve) => {
    let done = false;
    let cleanup = (): void => {};
    const finish: Finish = (error, rttSeconds = 0) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      cleanup();
      resolve({ ...base, ok: error === '', error, rttSeconds });
    };
    const onAbort = (): void => finish('timeout');
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);
    if (options.signal.aborted) return finish('timeout');
    options.signal.addEventListener('abort', onAbort, { once: true });
    cleanup = start(finish);
  });
}

export function probeDnsUdp(dns: DnsTarget, options: DnsProbeOptions): Promise<RawResult> {
  const { id, bytes } = query(dns.name);
  return exchange(probeProtocol.dnsUdp, dns, bytes.length + 8, options, (finish) => {
    const socket = createSocket(dns.host.includes(':') ? 'udp6' : 'udp4');
    let sentAt = 0n;
    socket.on('message', (msg) => {
      const verdict = judgeDnsReply(msg, id);
      if (verdict !== undefined) finish(verdict, verdict === '' ? secondsSince(sentAt) : 0);
    });
    socket.on('error', (err) => finish(probeErrorReason(err)));
    // A failed connect (no route to the resolver: a host agent on a node whose overlay routes
    // are gone) comes to this callback, not to 'error'; sending on the unconnected socket would throw.
    socket.connect(dns.port, dns.host, (err?: Error) => {
      if (err) return finish(probeErrorReason(err));
      sentAt = process.hrtime.bigint();
      socket.send(bytes, (err) => err && finish(probeErrorReason(err)));
    });
    return () => socket.close();
  });
}

export function probeDnsTcp(dns: DnsTarget, options: DnsProbeOptions): Promise<RawResult> {
  const { id, bytes } = query(dns.name);
  const framed = Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
  return exchange(probeProtocol.dnsTcp, dns, framed.length, options, (finish) => {
    const socket = connect({ host: dns.host, port: dns.port, noDelay: true });
    let sentAt = 0n;
    let received = Buffer.alloc(0);
    socket.once('connect', () => {
      sentAt = process.hrtime.bigint();
      socket.write(framed);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 2 || received.length < 2 + received.readUInt16BE(0)) return;
      const verdict = judgeDnsReply(received.subarray(2, 2 + received.readUInt16BE(0)), id);
      finish(verdict ?? 'error', verdict === '' ? secondsSince(sentAt) : 0);
    });
    socket.once('error', (err) => finish(probeErrorReason(err)));
    socket.once('close', () => finish('reset'));
    return () => socket.destroy();
  });
}
