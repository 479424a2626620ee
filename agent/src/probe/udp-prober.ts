// UDP echo probes to peers: per peer 3 small (header + identity) then 2 large (IP packet =
// the sender's MTU), spaced apart. One unconnected socket per address family serves every
// peer of a round, and a round opens its own, so every path still gets a new source port
// each round (ECMP hashing sees a new flow) — a socket per peer per round was the larger
// part of the agent's probing CPU (BENCHMARKS.md, issue 7). A reply is matched by the
// sequence number it echoes, and must come from the probed address and port, carry this
// sender's identity and be exactly as long as the request.
// Unconnected sockets hear no ICMP errors: a port or host the kernel reports unreachable
// after sending shows as 'timeout'; errors at send time (no route) keep their reason.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { probeErrorReason } from './probe-errors.ts';
import { probeProtocol, type PeerTarget, type ProbeErrorReason, type RawResult } from './probe-types.ts';
import { encodeProbe, maxProbeBytes, minProbeBytes, probeHeaderBytes, probeKind, probeMagic, type ProbeIdentity } from './probe-wire.ts';

export const smallUdpProbes = 3;
export const largeUdpProbes = 2;
/** IPv4 header (20) + UDP header (8): a payload of MTU − 28 makes an IP packet of exactly MTU. */
export const ipUdpOverheadBytes = 28;

/** UDP payload sizes for one peer, small first; a large probe is never smaller than a small one. */
export function udpPayloadSizes(identity: ProbeIdentity, mtu: number): { bytes: number; large: boolean }[] {
  const small = minProbeBytes(identity);
  const large = Math.max(small, Math.min(mtu - ipUdpOverheadBytes, maxProbeBytes));
  return [
    ...Array.from({ length: smallUdpProbes }, () => ({ bytes: small, large: false })),
    ...Array.from({ length: largeUdpProbes }, () => ({ bytes: large, large: true })),
  ];
}

export interface UdpProberOptions {
  identity: ProbeIdentity;
  timeoutMs: number;
  /** Gap between the probes to one peer. */
  spacingMs: number;
  /** Aborting settles every unanswered probe as 'timeout' at once. */
  signal: AbortSignal;
  /** Sequence number of the first probe (default random); each probe takes the next. */
  firstSequence?: number;
}

export interface UdpProber {
  /** The peer's five results, in ladder order, once each is answered or timed out. */
  probe(target: PeerTarget): Promise<RawResult[]>;
  /** Closes the sockets; call when every probe() has settled. */
  close(): void;
}

interface PeerProbes {
  target: PeerTarget;
  /** The target address as the kernel reports a reply's source (IPv6 in canonical form). */
  replyAddress: string;
  socket: Socket;
  results: RawResult[];
  /** Sequence and send time (performance.now ms) of each probe; 0 = not sent or settled. */
  sequences: number[];
  sentAtMs: number[];
  open: number;
  next: number;
  startMs: number;
  timer: NodeJS.Timeout | undefined;
  resolve: (results: RawResult[]) => void;
}

/** What the kernel puts in a reply's rinfo.address for this target. */
function replyAddressOf(address: string): string {
  // A colon means IPv6 (cheaper than net.isIPv6's regex, which showed in the profile).
  if (!address.includes(':')) return address;
  // Canonical text (RFC 5952), as inet_ntop writes it; a zone (%eth0) stays as given.
  const zone = address.indexOf('%');
  const bare = zone < 0 ? address : address.slice(0, zone);
  const canonical = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return zone < 0 ? canonical : canonical + address.slice(zone);
}

export function createUdpProber(options: UdpProberOptions): UdpProber {
  const { identity, timeoutMs, spacingMs, signal } = options;
  // The request's identity bytes (network, name length, name), which the reply must echo.
  const template = encodeProbe({ kind: probeKind.request, sequence: 0, sentAtMicros: 0, ...identity });
  const identityBytes = template.subarray(probeHeaderBytes);
  let sequence = (options.firstSequence ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  const pending = new Map<number, { peer: PeerProbes; index: number }>();
  const active = new Set<PeerProbes>();
  const sockets = new Map<'udp4' | 'udp6', Socket>();

  const finish = (peer: PeerProbes): void => {
    if (!active.delete(peer)) return;
    clearTimeout(peer.timer);
    for (let i = 0; i < peer.sequences.length; i++) if (peer.sentAtMs[i] !== 0) pending.delete(peer.sequences[i]!);
    peer.resolve(peer.results);
  };
  const settle = (peer: PeerProbes, index: number, error: ProbeErrorReason | '', rttSeconds: number): void => {
    const result = peer.results[index]!;
    result.ok = error === '';
    result.error = error;
    result.rttSeconds = rttSeconds;
    pending.delete(peer.sequences[index]!);
    peer.sentAtMs[index] = 0;
    if (--peer.open === 0) finish(peer);
  };

  const onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const receivedMs = performance.now();
    if (msg.length < template.length || msg.readUInt32BE(0) !== probeMagic || msg.readUInt16BE(4) !== probeKind.reply) return;
    const match = pending.get(msg.readUInt32BE(8));
    if (!match) return;
    const { peer, index } = match;
    if (rinfo.port !== peer.target.port || rinfo.address !== peer.replyAddress) return;
    if (msg.length !== peer.results[index]!.sizeBytes - 8) return;
    if (msg.compare(identityBytes, 0, identityBytes.length, probeHeaderBytes, probeHeaderBytes + identityBytes.length) !== 0) return;
    const rttMs = receivedMs - peer.sentAtMs[index]!;
    // Later than the timeout is lost, as if the probe had its own timer.
    if (rttMs > timeoutMs) return;
    settle(peer, index, '', rttMs / 1000);
  };

  const socketFor = (family: 'udp4' | 'udp6'): Socket => {
    let socket = sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on('message', onMessage);
      // Unconnected: no ICMP errors arrive here; send errors come back to each send's callback.
      socket.on('error', () => undefined);
      sockets.set(family, socket);
    }
    return socket;
  };

  const expire = (peer: PeerProbes): void => {
    // Every probe still open was sent at least timeoutMs ago, or could not be sent.
    finish(peer);
  };

  const sendNext = (peer: PeerProbes): void => {
    const index = peer.next++;
    const result = peer.results[index]!;
    const nowMs = performance.now();
    const seq = sequence;
    sequence = (sequence + 1) >>> 0;
    peer.sequences[index] = seq;
    result.sendDelaySeconds = Math.max(0, (nowMs - peer.startMs - index * spacingMs) / 1000);
    result.sentAtUnixMs = Date.now();
    const buf = Buffer.allocUnsafe(result.sizeBytes - 8);
    template.copy(buf, 0, 0, template.length);
    buf.fill(0, template.length);
    buf.writeUInt16BE(buf.length, 6);
    buf.writeUInt32BE(seq, 8);
    buf.writeUInt32BE(Math.trunc((performance.timeOrigin + nowMs) * 1000) >>> 0, 12);
    pending.set(seq, { peer, index });
    peer.sentAtMs[index] = performance.now();
    peer.socket.send(buf, peer.target.port, peer.target.address, (err) => {
      if (err && peer.sentAtMs[index] !== 0 && active.has(peer)) settle(peer, index, probeErrorReason(err), 0);
    });
    if (!active.has(peer)) return;
    // The next send on the planned grid (start + index × spacing), so delays do not add up;
    // after the last, one timer for the whole peer.
    peer.timer =
      peer.next < peer.results.length
        ? setTimeout(sendNext, Math.max(0, peer.startMs + peer.next * spacingMs - performance.now()), peer)
        : setTimeout(expire, timeoutMs, peer);
  };

  const onAbort = (): void => {
    for (const peer of [...active]) finish(peer);
  };
  signal.addEventListener('abort', onAbort, { once: true });

  return {
    probe: (target) =>
      new Promise((resolve) => {
        const sizes = udpPayloadSizes(identity, target.mtu);
        const results = sizes.map(({ bytes, large }): RawResult => ({
          targetNode: target.nodeName,
          protocol: probeProtocol.udp,
          ok: false,
          rttSeconds: 0,
          sizeBytes: bytes + 8,
          error: 'timeout',
          sentAtUnixMs: 0,
          targetNetwork: target.network,
          target: '',
          large,
          sendDelaySeconds: 0,
        }));
        if (signal.aborted) return resolve(results);
        const peer: PeerProbes = {
          target,
          replyAddress: replyAddressOf(target.address),
          socket: socketFor(target.address.includes(':') ? 'udp6' : 'udp4'),
          results,
          sequences: sizes.map(() => 0),
          sentAtMs: sizes.map(() => 0),
          open: sizes.length,
          next: 0,
          startMs: performance.now(),
          timer: undefined,
          resolve,
        };
        active.add(peer);
        sendNext(peer);
      }),
    close: () => {
      signal.removeEventListener('abort', onAbort);
      onAbort();
      for (const socket of sockets.values()) socket.close();
      sockets.clear();
    },
  };
}
