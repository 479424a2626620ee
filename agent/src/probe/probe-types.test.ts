import { describe, expect, it } from 'vitest';
import { ProbeProtocol } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { probeProtocol } from './probe-types.ts';

describe('probeProtocol', () => {
  it('has the generated ProbeProtocol enum values', () => {
    expect(probeProtocol).toEqual({
      udp: ProbeProtocol.UDP,
      tcp: ProbeProtocol.TCP,
      dnsUdp: ProbeProtocol.DNS_UDP,
      dnsTcp: ProbeProtocol.DNS_TCP,
    });
  });
});
