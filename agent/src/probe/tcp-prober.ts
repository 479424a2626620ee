// TCP probes to peers: connect, send one request frame, wait for its echo. rtt is the echo
// time on the open connection; a failed connect is a result with its reason. A fresh
// connection per probe on purpose: a path that drops new connections must show.
import { connect, type Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import { probeErrorReason } from './probe-errors.ts';
import { probeProtocol, type PeerTarget, type ProbeErrorReason, type RawResult } from './probe-types.ts';
import { encodeProbe, minProbeBytes, probeKind, probeMagic, type ProbeIdentity } from './probe-wire.ts';

export interface TcpProberOptions {
  identity: ProbeIdentity;
  timeoutMs: number;
  /** Aborting settles every open probe as 'timeout' at once. */
  signal: AbortSignal;
  /** Sequence number of the first probe (default random); each probe takes the next. */
  firstSequence?: number;
}

export interface TcpProber {
  probe(target: PeerTarget): Promise<RawResult>;
}

interface OpenProbe {
  socket: Socket;
  finish: (error: ProbeErrorReason | '', rttSeconds?: number) => void;
}

export function createTcpProber(options: TcpProberOptions): TcpProber {
  const { identity, timeoutMs, signal } = options;
  const frameBytes = minProbeBytes(identity);
  const template = encodeProbe({ kind: probeKind.request, sequence: 0, sentAtMicros: 0, ...identity }, frameBytes);
  let sequence = (options.firstSequence ?? randomInt(0, 2 ** 32 - 1)) >>> 0;
  const open = new Set<OpenProbe>();
  signal.addEventListener(
    'abort',
    () => {
      for (const probe of [...open]) probe.finish('timeout');
    },
    { once: true },
  );

  return {
    probe: (target) =>
      new Promise((resolve) => {
        const result: RawResult = {
          targetNode: target.nodeName,
          protocol: probeProtocol.tcp,
          ok: false,
          rttSeconds: 0,
          sizeBytes: frameBytes,
          error: 'timeout',
          sentAtUnixMs: Date.now(),
          targetNetwork: target.network,
          target: '',
          large: false,
          sendDelaySeconds: 0,
        };
        if (signal.aborted) return resolve(result);
        const seq = sequence;
        sequence = (sequence + 1) >>> 0;
        const socket = connect({ host: target.address, port: target.port, noDelay: true });
        let echoStartMs = 0;
        let received: Buffer | undefined;
        const probe: OpenProbe = {
          socket,
          finish: (error, rttSeconds = 0) => {
            if (!open.delete(probe)) return;
            clearTimeout(timer);
            socket.destroy();
            result.ok = error === '';
            result.error = error;
            result.rttSeconds = rttSeconds;
            resolve(result);
          },
        };
        open.add(probe);
        const timer = setTimeout(probe.finish, timeoutMs, 'timeout');
        socket.once('connect', () => {
          const frame = Buffer.from(template);
          frame.writeUInt32BE(seq, 8);
          echoStartMs = performance.now();
          socket.write(frame);
        });
        socket.on('data', (chunk: Buffer) => {
          const now = performance.now();
          received = received ? Buffer.concat([received, chunk]) : chunk;
          if (received.length < frameBytes) return;
          // The echo is our frame with the kind flipped.
          const good =
            received.readUInt32BE(0) === probeMagic &&
            received.readUInt16BE(4) === probeKind.reply &&
            received.readUInt32BE(8) === seq &&
            received.compare(template, 16, frameBytes, 16, frameBytes) === 0;
          probe.finish(good ? '' : 'error', good ? (now - echoStartMs) / 1000 : 0);
        });
        socket.once('error', (err) => probe.finish(probeErrorReason(err)));
        // Closed before the echo arrived: the responder dropped us (rate limit or malformed).
        socket.once('close', () => probe.finish('reset'));
      }),
  };
}
