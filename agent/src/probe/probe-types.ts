// Plain data passed between the main thread and the prober worker (structured-clone safe).
import type { ProbeIdentity } from './probe-wire.ts';

/**
 * proto ProbeProtocol's values, as plain numbers: the prober worker imports only plain
 * modules, because loading protobuf-es there for four enum values costs ~13 MiB of the
 * worker's RSS. probe-types.test.ts checks them against the generated enum.
 */
export const probeProtocol = { udp: 1, tcp: 2, dnsUdp: 3, dnsTcp: 4 } as const;

/** The closed set of reasons a probe failed (ProbeResult.error). */
export type ProbeErrorReason = 'timeout' | 'refused' | 'unreachable' | 'reset' | 'servfail' | 'nxdomain' | 'error';

/** One peer to probe: where, on which network, and the sender's MTU on the way there. */
export interface PeerTarget {
  nodeName: string;
  /** proto Network of the target (1 host, 2 pod). */
  network: number;
  address: string;
  port: number;
  /** The sender's own MTU for this path; the large UDP probes fill it exactly. */
  mtu: number;
}

export interface DnsTarget {
  host: string;
  port: number;
  name: string;
}

export interface RoundRequest {
  identity: ProbeIdentity;
  peers: PeerTarget[];
  dns?: DnsTarget;
  timeoutMs: number;
  /** Peers probed at the same time. */
  concurrency: number;
  /** Gap between the UDP probes to one peer. */
  spacingMs: number;
}

/** A ProbeResult as plain data; the main thread turns it into the proto message. */
export interface RawResult {
  targetNode: string;
  /** proto ProbeProtocol. */
  protocol: number;
  ok: boolean;
  rttSeconds: number;
  sizeBytes: number;
  error: ProbeErrorReason | '';
  sentAtUnixMs: number;
  targetNetwork: number;
  target: string;
  large: boolean;
  sendDelaySeconds: number;
}

export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
