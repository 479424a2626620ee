// HTTP/2 keepalive and connection-age settings of the agent → collector stream, in one place
// so the two sides stay consistent: the agent never pings more often than the collector
// accepts (client keepalive time 30 s ≥ server min ping interval 20 s).
//
// Why pings at all: the stream is long-lived and mostly idle between heartbeats; a NAT, a
// conntrack entry or a load balancer in between may forget an idle flow, and a collector that
// vanished without a FIN (node lost, cut network) is noticed within time + timeout.
import type { ChannelOptions } from '@grpc/grpc-js';

export const keepalive = {
  /** Agent: ping the collector every 30 s, give up on the connection after 10 s without an answer. */
  clientTimeMs: 30_000,
  clientTimeoutMs: 10_000,
  /** Collector: refuse (too_many_pings) pings more frequent than every 20 s. */
  serverMinPingIntervalMs: 20_000,
  /** Collector: ping each agent every 60 s, drop it after 20 s without an answer. */
  serverTimeMs: 60_000,
  serverTimeoutMs: 20_000,
} as const;

export function clientKeepaliveOptions(): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': keepalive.clientTimeMs,
    'grpc.keepalive_timeout_ms': keepalive.clientTimeoutMs,
    'grpc.keepalive_permit_without_calls': 1,
  };
}

/**
 * maxConnectionAgeMs > 0: the collector sends GOAWAY to a connection after that age (±10 %
 * jitter, added by grpc-js) and closes it graceMs later, so agents reconnect and a load
 * balancer spreads them over the collector replicas again. 0 = connections live forever.
 */
export function serverKeepaliveOptions(connection: { maxConnectionAgeMs: number; maxConnectionAgeGraceMs: number }): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': keepalive.serverTimeMs,
    'grpc.keepalive_timeout_ms': keepalive.serverTimeoutMs,
    'grpc.http2.min_ping_interval_without_data_ms': keepalive.serverMinPingIntervalMs,
    'grpc.keepalive_permit_without_calls': 1,
    ...(connection.maxConnectionAgeMs > 0
      ? {
          'grpc.max_connection_age_ms': connection.maxConnectionAgeMs,
          'grpc.max_connection_age_grace_ms': connection.maxConnectionAgeGraceMs,
        }
      : {}),
  };
}
