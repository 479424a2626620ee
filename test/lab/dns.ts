// A tiny hand-built DNS client (A queries over UDP or TCP) and the dnsmasq argv for
// lab.startDns. The encode/decode functions are pure; run as a program
// (`node dns.ts query …`) it is what lab.dnsQuery starts inside a lab namespace, since a
// socket can only be opened in a namespace by a process living there. No dependencies.
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { pathToFileURL } from 'node:url';

export const DNS_PORT = 53;
export const TYPE_A = 1;
export const CLASS_IN = 1;

/** Lab rule: record targets and DNS servers only from 192.0.2.0/24 and 198.18.0.0/15. */
export function isLabAddress(ip: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return false;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return false;
  return (o[0] === 192 && o[1] === 0 && o[2] === 2) || (o[0] === 198 && (o[1] === 18 || o[1] === 19));
}

const LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

export function checkDnsName(name: string): string {
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length === 0 || bare.length > 253 || !bare.split('.').every((l) => LABEL.test(l))) {
    throw new Error(`bad DNS name ${JSON.stringify(name)}`);
  }
  return bare;
}

/** One A/IN query with RD set. */
export function encodeQuery(id: number, name: string, type = TYPE_A): Buffer {
  const labels = checkDnsName(name).split('.');
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4); // QDCOUNT
  const parts: Buffer[] = [header];
  for (const l of labels) parts.push(Buffer.from([l.length]), Buffer.from(l, 'ascii'));
  const tail = Buffer.alloc(5);
  tail.writeUInt8(0, 0);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(CLASS_IN, 3);
  parts.push(tail);
  return Buffer.concat(parts);
}

export interface DnsAnswer {
  id: number;
  /** 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED, … */
  rcode: number;
  authoritative: boolean;
  truncated: boolean;
  /** A records in the answer section, in order. */
  addresses: string[];
  answerCount: number;
}

/** Skips a (possibly compressed) name; returns the offset after it. */
function skipName(buf: Buffer, offset: number): number {
  let o = offset;
  for (let i = 0; i < 128; i++) {
    if (o >= buf.length) throw new Error('DNS name runs past the message');
    const len = buf[o] as number;
    if (len === 0) return o + 1;
    if ((len & 0xc0) === 0xc0) return o + 2;
    o += 1 + len;
  }
  throw new Error('DNS name too long');
}

export function decodeResponse(buf: Buffer): DnsAnswer {
  if (buf.length < 12) throw new Error(`DNS message too short (${buf.length} bytes)`);
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) === 0) throw new Error('not a DNS response');
  const qd = buf.readUInt16BE(4);
  const an = buf.readUInt16BE(6);
  let o = 12;
  for (let i = 0; i < qd; i++) o = skipName(buf, o) + 4;
  const addresses: string[] = [];
  for (let i = 0; i < an; i++) {
    o = skipName(buf, o);
    if (o + 10 > buf.length) throw new Error('DNS answer runs past the message');
    const type = buf.readUInt16BE(o);
    const cls = buf.readUInt16BE(o + 2);
    const rdlen = buf.readUInt16BE(o + 8);
    o += 10;
    if (o + rdlen > buf.length) throw new Error('DNS rdata runs past the message');
    if (type === TYPE_A && cls === CLASS_IN && rdlen === 4) addresses.push([...buf.subarray(o, o + 4)].join('.'));
    o += rdlen;
  }
  return {
    id: buf.readUInt16BE(0),
    rcode: flags & 0x000f,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    addresses,
    answerCount: an,
  };
}

export interface DnsmasqOptions {
  /** Log every query to the process output (`--log-queries`). */
  logQueries?: boolean;
}

/**
 * dnsmasq in the foreground, authoritative for `records` only, never forwarding: no
 * resolv.conf, no servers, and `--local=/#/` makes every other name local (NXDOMAIN).
 */
export function dnsmasqArgv(listenIp: string, records: Record<string, string>, opts: DnsmasqOptions = {}): string[] {
  if (!isLabAddress(listenIp)) throw new Error(`dnsmasq listen address ${listenIp} is not a lab address`);
  const hostRecords = Object.entries(records).map(([name, ip]) => {
    if (!isLabAddress(ip)) throw new Error(`record ${name} → ${ip}: only 192.0.2.0/24 and 198.18.0.0/15 are allowed`);
    return `--host-record=${checkDnsName(name)},${ip}`;
  });
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--local=/#/',
    `--listen-address=${listenIp}`,
    '--bind-interfaces',
    `--port=${DNS_PORT}`,
    '--pid-file=',
    '--log-facility=-',
    '--user=root',
    '--group=root',
    '--cache-size=0',
    ...(opts.logQueries ? ['--log-queries'] : []),
    ...hostRecords,
  ];
}

export interface QueryArgs {
  server: string;
  name: string;
  tcp: boolean;
  timeoutMs: number;
  /** Keep retrying (fresh query every 100 ms) until an answer or this many ms. 0: one try. */
  retryMs: number;
}

function queryUdp(server: string, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no UDP answer from ${server} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.close();
      reject(err);
    });
    sock.on('message', (reply) => {
      if (reply.length < 2 || reply.readUInt16BE(0) !== msg.readUInt16BE(0)) return;
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    });
    sock.send(msg, DNS_PORT, server);
  });
}

function queryTcp(server: string, msg: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: server, port: DNS_PORT });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no TCP answer from ${server} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('error', (err) => {
      clearTimeout(timer);
      sock.destroy();
      reject(err);
    });
    sock.on('connect', () => {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(msg.length, 0);
      sock.write(Buffer.concat([len, msg]));
    });
    sock.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(data.subarray(2, 2 + data.readUInt16BE(0)));
      }
    });
  });
}

/** One query (or bounded retries); the answer plus the round trip of the successful try. */
export async function query(args: QueryArgs): Promise<DnsAnswer & { ms: number; tries: number }> {
  const deadline = Date.now() + args.retryMs;
  let lastErr: unknown;
  for (let tries = 1; tries <= 1000; tries++) {
    const id = Math.floor(Math.random() * 0x10000);
    const msg = encodeQuery(id, args.name);
    const t0 = performance.now();
    try {
      const reply = await (args.tcp ? queryTcp : queryUdp)(args.server, msg, args.timeoutMs);
      const ms = performance.now() - t0;
      return { ...decodeResponse(reply), ms, tries };
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw lastErr;
}

// `node dns.ts query SERVER NAME udp|tcp TIMEOUT_MS RETRY_MS` → one JSON line on stdout.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href && process.argv[2] === 'query') {
  const [server = '', name = '', proto = 'udp', timeoutMs = '2000', retryMs = '0'] = process.argv.slice(3);
  if (!isLabAddress(server)) {
    process.stderr.write(`dns: ${server} is not a lab address\n`);
    process.exit(2);
  }
  query({ server, name, tcp: proto === 'tcp', timeoutMs: Number(timeoutMs), retryMs: Number(retryMs) }).then(
    (answer) => process.stdout.write(JSON.stringify(answer) + '\n'),
    (err: unknown) => {
      process.stderr.write(`dns: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
