// TCP probe to one peer: connect, send one request frame, wait for its echo.
// rtt is the echo time on the open connection; a failed connect is a result with its reason.
import { connect } from 'node:net';
import { randomInt } from 'node:crypto';
import { probeErrorReason } from './probe-errors.ts';
import { probeProtocol, secondsSince, type PeerTarget, type ProbeErrorReason, type RawResult } from './probe-types.ts';
import { decodeProbe, encodeProbe, minProbeBytes, probeKind, type ProbeIdentity } from './probe-wire.ts';

export function probeTcp(target: PeerTarget, identity: ProbeIdentity, options: { timeoutMs: number; signal: AbortSignal }): Promise<RawResult> {
  const sequence = randomInt(0, 2 ** 31);
  const frameBytes = minProbeBytes(identity);
  const result: RawResult = {
    targetNode: target.nodeName, protocol: probeProtocol.tcp, ok: false, rttSeconds: 0, sizeBytes: frameBytes,
    error: 'timeout', sentAtUnixMs: Date.now(), targetNetwork: target.network, target: '', large: false, sendDelaySeconds: 0,
  };
  return new Promise((resolve) => {
    const socket = connect({ host: target.address, port: target.port, noDelay: true });
    let echoStart = 0n;
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (error: ProbeErrorReason | '', rttSeconds = 0): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ...result, ok: error === '', error, rttSeconds });
    };
    const onAbort = (): void => finish('timeout');
    const timer = setTimeout(() => finish('timeout'), options.timeoutMs);
    if (options.signal.aborted) return finish('timeout');
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      echoStart = process.hrtime.bigint();
      socket.write(encodeProbe({ kind: probeKind.request, sequence, sentAtMicros: 0, ...identity }, frameBytes));
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < frameBytes) return;
      const reply = decodeProbe(received.subarray(0, frameBytes));
      const good = reply?.kind === probeKind.reply && reply.sequence === sequence;
      finish(good ? '' : 'error', good ? secondsSince(echoStart) : 0);
    });
    socket.once('error', (err) => finish(probeErrorReason(err)));
    // Closed before the echo arrived: the responder dropped us (rate limit or malformed).
    socket.once('close', () => finish('reset'));
  });
}
