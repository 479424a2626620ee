import { describe, expect, it } from 'vitest';
import { clientKeepaliveOptions, keepalive, serverKeepaliveOptions } from './keepalive.ts';

describe('keepalive settings', () => {
  it('never has the agent ping more often than the collector accepts', () => {
    expect(clientKeepaliveOptions()['grpc.keepalive_time_ms']).toBeGreaterThanOrEqual(keepalive.serverMinPingIntervalMs);
    expect(
      serverKeepaliveOptions({ maxConnectionAgeMs: 0, maxConnectionAgeGraceMs: 0 })['grpc.http2.min_ping_interval_without_data_ms'],
    ).toBe(keepalive.serverMinPingIntervalMs);
  });

  it('sets a connection age only when asked', () => {
    expect(serverKeepaliveOptions({ maxConnectionAgeMs: 0, maxConnectionAgeGraceMs: 10_000 })).not.toHaveProperty(
      'grpc.max_connection_age_ms',
    );
    expect(serverKeepaliveOptions({ maxConnectionAgeMs: 1_800_000, maxConnectionAgeGraceMs: 10_000 })).toMatchObject({
      'grpc.max_connection_age_ms': 1_800_000,
      'grpc.max_connection_age_grace_ms': 10_000,
    });
  });
});
