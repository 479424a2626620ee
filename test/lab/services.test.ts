import { describe, expect, it } from 'vitest';
import { endpointDropScript, serviceDnatScript } from './services.ts';

describe('lab Services (nft DNAT, kube-proxy nftables style)', () => {
  it('programs a random-choice verdict map over one DNAT chain per endpoint, and hairpin masquerade', () => {
    const script = serviceDnatScript([
      {
        ip: '198.19.0.10',
        port: 80,
        endpoints: [
          { ip: '198.18.1.11', port: 8080 },
          { ip: '198.18.2.11', port: 8080 },
        ],
      },
    ]);
    expect(script).toContain('ip daddr 198.19.0.10 tcp dport 80 numgen random mod 2 vmap { 0 : jump svc0-ep0, 1 : jump svc0-ep1 }');
    expect(script).toContain('meta l4proto tcp dnat ip to 198.18.2.11:8080');
    expect(script).toContain('oifname "cni0" ct status dnat masquerade');
    expect(script.startsWith('table ip netsentry_svc {}\ndelete table ip netsentry_svc\n')).toBe(true);
  });

  it('programs a UDP Service (kube-dns) and an endpoint on the underlay (the API server)', () => {
    const script = serviceDnatScript([
      { ip: '198.19.0.53', port: 53, protocol: 'udp', endpoints: [{ ip: '198.18.1.11', port: 53 }] },
      { ip: '198.19.0.1', port: 443, endpoints: [{ ip: '192.0.2.1', port: 6443 }] },
    ]);
    expect(script).toContain('ip daddr 198.19.0.53 udp dport 53 numgen random mod 1 vmap { 0 : jump svc0-ep0 }');
    expect(script).toContain('meta l4proto udp dnat ip to 198.18.1.11:53');
    expect(script).toContain('meta l4proto tcp dnat ip to 192.0.2.1:6443');
  });

  it('refuses addresses outside the lab ranges', () => {
    expect(() => serviceDnatScript([{ ip: '10.96.0.10', port: 80, endpoints: [] }])).toThrow(/198\.19\.0\.0\/16/);
    expect(() => serviceDnatScript([{ ip: '198.19.0.10', port: 80, endpoints: [{ ip: '10.0.0.5', port: 80 }] }])).toThrow(/pod IPs/);
    expect(() => serviceDnatScript([{ ip: '198.19.0.10', port: 0, endpoints: [] }])).toThrow(/bad port/);
  });

  it("drops one node's pods to one endpoint in the forward hook", () => {
    expect(endpointDropScript('198.18.3.0/24', { ip: '198.18.1.11', port: 8080 })).toContain(
      'ip saddr 198.18.3.0/24 ip daddr 198.18.1.11 tcp dport 8080 counter drop',
    );
  });
});
