// One probe of one target address: a TCP connect (nothing sent; the connection is closed at
// once) or, for DNS targets, one A query over UDP (agent/src/probe/dns-prober.ts). A failed
// probe is a result with a closed-set reason, never an exception.
import { connect } from 'node:net';
import { probeDnsUdp } from '../probe/dns-prober.ts';
import { probeErrorReason } from '../probe/probe-errors.ts';
import { secondsSince, type ProbeErrorReason } from '../probe/probe-types.ts';
import { splitTargetAddress } from '../../../shared/src/target-address.ts';

export interface TargetProbeResult {
  ok: boolean;
  rttSeconds: number;
  error: ProbeErrorReason | '';
  sentAtUnixMs: number;
}

export interface TargetProbeOptions {
  timeoutMs: number;
  signal: AbortSignal;
}

export function probeTcpConnect(host: string, port: number, options: TargetProbeOptions): Promise<TargetProbeResult> {
  const sentAtUnixMs = Date.now();
  return new Promise((resolve) => {
    if (options.signal.aborted) return resolve({ ok: false, rttSeconds: 0, error: 'timeout', sentAtUnixMs });
    const started = process.hrtime.bigint();
    const socket = connect({ host, port, noDelay: true });
    let done = false;
    const finish = (error: ProbeErrorReason | ''): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve({ ok: error === '', rttSeconds: error === '' ? secondsSince(started) : 0, error, sentAtUnixMs });
    };
    const onAbort = (): void => finish('timeout');
    const timer = setTimeout(finish, options.timeoutMs, 'timeout');
    options.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(''));
    socket.once('error', (err) => finish(probeErrorReason(err)));
  });
}

export async function probeTargetAddress(
  protocol: 'tcp' | 'dns',
  address: string,
  dnsQuery: string,
  options: TargetProbeOptions,
): Promise<TargetProbeResult> {
  const { host, port } = splitTargetAddress(address);
  if (protocol === 'tcp') return probeTcpConnect(host, port, options);
  const raw = await probeDnsUdp({ host, port, name: dnsQuery }, options);
  return { ok: raw.ok, rttSeconds: raw.rttSeconds, error: raw.error, sentAtUnixMs: raw.sentAtUnixMs };
}
