// UDP echo probes to one peer: 3 small (header + identity) then 2 large (IP packet = the
// sender's MTU), spaced apart, on one connected socket so ICMP errors come back as errno.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { probeErrorReason } from './probe-errors.ts';
import { probeProtocol, secondsSince, type PeerTarget, type ProbeErrorReason, type RawResult } from './probe-types.ts';
import { decodeProbe, encodeProbe, maxProbeBytes, minProbeBytes, probeKind, type ProbeIdentity } from './probe-wire.ts';

export const smallUdpProbes = 3;
export const largeUdpProbes = 2;
/** IPv4 header (20) + UDP header (8): a payload of MTU − 28 makes an IP packet of exactly MTU. */
export const ipUdpOverheadBytes = 28;

export interface UdpProbeOptions {
  timeoutMs: number;
  spacingMs: number;
  signal: AbortSignal;
}

/** UDP payload sizes for one peer, small first; a large probe is never smaller than a small one. */
export function udpPayloadSizes(identity: ProbeIdentity, mtu: number): { bytes: number; large: boolean }[] {
  const small = minProbeBytes(identity);
  const large = Math.max(small, Math.min(mtu - ipUdpOverheadBytes, maxProbeBytes));
  return [
    ...Array.from({ length: smallUdpProbes }, () => ({ bytes: small, large: false })),
    ...Array.from({ length: largeUdpProbes }, () => ({ bytes: large, large: true })),
  ];
}

export function probeUdp(target: PeerTarget, identity: ProbeIdentity, options: UdpProbeOptions): Promise<RawResult[]> {
  const socket = createSocket(target.address.includes(':') ? 'udp6' : 'udp4');
  const firstSequence = randomInt(0, 2 ** 31);
  const pending = new Map<number, (error: ProbeErrorReason | '', rttSeconds: number) => void>();
  const sentAt = new Map<number, bigint>();
  // An error on the socket is the fate of the probes already sent; later ones try for themselves.
  const failSent = (reason: ProbeErrorReason): void => {
    for (const [sequence, settle] of [...pending]) if (sentAt.has(sequence)) settle(reason, 0);
  };
  const failAll = (reason: ProbeErrorReason): void => {
    for (const settle of [...pending.values()]) settle(reason, 0);
  };

  socket.on('message', (msg) => {
    const reply = decodeProbe(msg);
    if (!reply || reply.kind !== probeKind.reply || reply.nodeName !== identity.nodeName) return;
    const start = sentAt.get(reply.sequence);
    if (start !== undefined) pending.get(reply.sequence)?.('', secondsSince(start));
  });
  // On a connected socket, ICMP port/host unreachable arrives as ECONNREFUSED/EHOSTUNREACH.
  socket.on('error', (err) => failSent(probeErrorReason(err)));
  const onAbort = (): void => failAll('timeout');
  options.signal.addEventListener('abort', onAbort, { once: true });

  const connected = new Promise<ProbeErrorReason | ''>((resolve) => {
    socket.once('connect', () => resolve(''));
    socket.once('error', (err) => resolve(probeErrorReason(err)));
    socket.connect(target.port, target.address);
  });
  const base = process.hrtime.bigint();

  const one = (index: number, bytes: number, large: boolean): Promise<RawResult> =>
    new Promise((resolve) => {
      const sequence = (firstSequence + index) >>> 0;
      const plannedMs = index * options.spacingMs;
      const result: RawResult = {
        targetNode: target.nodeName, protocol: probeProtocol.udp, ok: false, rttSeconds: 0, sizeBytes: bytes + 8,
        error: 'timeout', sentAtUnixMs: 0, targetNetwork: target.network, target: '', large, sendDelaySeconds: 0,
      };
      let timer: NodeJS.Timeout | undefined;
      const settle = (error: ProbeErrorReason | '', rttSeconds: number): void => {
        if (!pending.delete(sequence)) return;
        clearTimeout(timer);
        resolve({ ...result, ok: error === '', error, rttSeconds });
      };
      pending.set(sequence, settle);
      if (options.signal.aborted) return settle('timeout', 0);
      setTimeout(async () => {
        const connectError = await connected;
        if (!pending.has(sequence)) return; // aborted or failed meanwhile; the socket may be closed
        if (connectError) return settle(connectError, 0);
        result.sendDelaySeconds = Math.max(0, secondsSince(base) - plannedMs / 1000);
        result.sentAtUnixMs = Date.now();
        const buf = encodeProbe({ kind: probeKind.request, sequence, sentAtMicros: Number(process.hrtime.bigint() / 1000n), ...identity }, bytes);
        timer = setTimeout(() => settle('timeout', 0), options.timeoutMs);
        sentAt.set(sequence, process.hrtime.bigint());
        socket.send(buf, (err) => {
          if (err) settle(probeErrorReason(err), 0);
        });
      }, plannedMs);
    });

  const sizes = udpPayloadSizes(identity, target.mtu);
  return Promise.all(sizes.map((s, i) => one(i, s.bytes, s.large))).finally(() => {
    options.signal.removeEventListener('abort', onAbort);
    socket.close();
  });
}
