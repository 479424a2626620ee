import { describe, expect, it } from 'vitest';
import { overlapsUnderlay } from './gateway.ts';
import { createLabNames } from './naming.ts';
import { createBuildPlan, nftDropUdpScript, nftRemoveScript, overlayMtu, underlayPort } from './plan.ts';
import { decodeResponse, dnsmasqArgv, encodeQuery, isLabAddress } from './dns.ts';
import { p50, parsePingOutput } from './ping.ts';

describe('lab names', () => {
  it('derives addresses, MACs and namespaces from the index', () => {
    const names = createLabNames('nslab12', 2, 2);
    const n2 = names.nodes[1]!;
    expect(n2).toMatchObject({
      name: 'node-2',
      ns: 'nslab12-node-2',
      underlayIp: '192.0.2.12',
      podCidr: '198.18.2.0/24',
      podGateway: '198.18.2.1',
      vtepIp: '198.18.2.0',
      vtepMac: '0a:58:c6:12:02:00',
    });
    expect(n2.pods.map((p) => p.ip)).toEqual(['198.18.2.11', '198.18.2.12']);
    expect(names.rootVeth).toBe('nslab12u');
    expect(createLabNames('nslab12', 1, 0, 'netns')).toMatchObject({ rootVeth: null, gatewayNs: 'nslab12-gateway' });
    expect(createLabNames('nslab12', 12, 0).nodes[11]!.vtepMac).toBe('0a:58:c6:12:0c:00');
  });

  it('rejects bad sizes and ids', () => {
    expect(() => createLabNames('nslab12', 0, 1)).toThrow(/nodes/);
    expect(() => createLabNames('lab', 1, 1)).toThrow(/lab id/);
  });
});

describe('build plan', () => {
  const plan = createBuildPlan(createLabNames('nslab12', 3, 1), 1500);

  it('programs route + neighbor per peer and FDB per peer, like flannel', () => {
    const node1 = plan.ip.get('nslab12-node-1')!;
    expect(node1).toContain('route add 198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink');
    expect(node1).toContain('neigh add 198.18.3.0 lladdr 0a:58:c6:12:03:00 dev flannel.1 nud permanent');
    expect(node1.some((l) => l.includes('198.18.1.0/24 via'))).toBe(false);
    expect(plan.bridge.get('nslab12-node-1')).toEqual([
      'fdb append 0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.12 self permanent',
      'fdb append 0a:58:c6:12:03:00 dev flannel.1 dst 192.0.2.13 self permanent',
    ]);
    expect(node1).toContain(
      'link add flannel.1 address 0a:58:c6:12:01:00 mtu 1450 type vxlan id 1 dstport 8472 local 192.0.2.11 dev eth0 nolearning',
    );
  });

  it('uses only 192.0.2.0/24 and 198.18.0.0/15 addresses', () => {
    const all = [...plan.root, ...[...plan.ip.values()].flat(), ...[...plan.bridge.values()].flat()].join('\n');
    const ips = all.match(/\b\d+\.\d+\.\d+\.\d+\b/g) ?? [];
    expect(ips.length).toBeGreaterThan(0);
    for (const ip of ips) expect(ip).toMatch(/^(192\.0\.2\.|198\.1[89]\.)/);
  });

  it('puts 192.0.2.1 on the one root veth, or in a gateway namespace', () => {
    expect(plan.root).toContain('addr add 192.0.2.1/24 dev nslab12u');
    const isolated = createBuildPlan(createLabNames('nslab12', 2, 1, 'netns'), 1500);
    expect(isolated.root.join('\n')).not.toContain('nslab12u');
    expect(isolated.ip.get('nslab12-gateway')).toContain('addr add 192.0.2.1/24 dev eth0');
  });

  it('derives the overlay MTU from the underlay', () => {
    expect(overlayMtu(1500)).toBe(1450);
    expect(createBuildPlan(createLabNames('nslab12', 2, 1), 9000).ip.get('nslab12-node-1')).toContain('link add cni0 mtu 8950 type bridge');
  });
});

describe('underlay overlap', () => {
  it('detects addresses and routes that overlap 192.0.2.0/24', () => {
    expect(overlapsUnderlay('192.0.2.2/24')).toBe(true);
    expect(overlapsUnderlay('192.0.2.77')).toBe(true);
    expect(overlapsUnderlay('192.0.0.0/16')).toBe(true);
    expect(overlapsUnderlay('192.0.3.0/24')).toBe(false);
    expect(overlapsUnderlay('10.0.0.1/8')).toBe(false);
  });
});

describe('mesh-probe helpers (pure)', () => {
  it('nft script: atomic replace, VXLAN excepted by caller, UDP dropped in input and output', () => {
    const script = nftDropUdpScript([8472, 53, 8472]);
    expect(script.split('\n').slice(0, 3)).toEqual([
      'table inet netsentry_lab {}',
      'delete table inet netsentry_lab',
      'table inet netsentry_lab {',
    ]);
    expect(script).toContain('type filter hook input priority filter; policy accept;');
    expect(script).toContain('type filter hook output priority filter; policy accept;');
    expect(script).not.toContain('hook forward');
    expect(script).toContain('udp dport { 53, 8472 } accept');
    expect(script).toContain('udp sport { 53, 8472 } accept');
    expect(nftDropUdpScript([])).not.toContain('accept\n    meta');
    expect(nftDropUdpScript([], ['forward'])).toContain('hook forward');
    expect(() => nftDropUdpScript([70000])).toThrow(/bad UDP port/);
    expect(nftRemoveScript()).toBe('table inet netsentry_lab {}\ndelete table inet netsentry_lab\n');
  });

  it('underlay port names', () => {
    expect(underlayPort(createLabNames('nslab12', 4, 1).nodes[3]!)).toBe('n4');
  });

  it('DNS: encodes an A query and decodes a compressed answer', () => {
    const q = encodeQuery(0x1234, 'kubernetes.default.svc');
    expect(q.subarray(0, 12).toString('hex')).toBe('123401000001000000000000');
    expect(q.subarray(12).toString('latin1')).toBe('\x0akubernetes\x07default\x03svc\x00\x00\x01\x00\x01');
    const answer = Buffer.concat([
      Buffer.from('123485800001000100000000', 'hex'),
      q.subarray(12),
      Buffer.from('c00c00010001000000000004c6120b0b', 'hex'),
    ]);
    expect(decodeResponse(answer)).toMatchObject({ id: 0x1234, rcode: 0, authoritative: true, addresses: ['198.18.11.11'] });
    expect(() => encodeQuery(1, 'bad..name')).toThrow(/bad DNS name/);
  });

  it('dnsmasq argv never forwards and refuses non-lab addresses', () => {
    const argv = dnsmasqArgv('198.18.1.11', { 'a.test': '198.18.2.11' });
    expect(argv).toEqual(
      expect.arrayContaining([
        '--no-resolv',
        '--no-hosts',
        '--local=/#/',
        '--listen-address=198.18.1.11',
        '--bind-interfaces',
        '--host-record=a.test,198.18.2.11',
      ]),
    );
    expect(argv.some((a) => a.startsWith('--server'))).toBe(false);
    expect(() => dnsmasqArgv('198.18.1.11', { 'a.test': '10.0.0.1' })).toThrow(/only 192\.0\.2\.0\/24/);
    expect(isLabAddress('198.19.255.1')).toBe(true);
    expect(isLabAddress('192.0.3.1')).toBe(false);
  });

  it('ping output → RTTs, ignoring duplicates', () => {
    const out = [
      'PING 198.18.3.11 (198.18.3.11) 56(84) bytes of data.',
      '64 bytes from 198.18.3.11: icmp_seq=1 ttl=62 time=0.200 ms',
      '64 bytes from 198.18.3.11: icmp_seq=2 ttl=62 time=0.100 ms',
      '64 bytes from 198.18.3.11: icmp_seq=2 ttl=62 time=0.900 ms (DUP!)',
      '64 bytes from 198.18.3.11: icmp_seq=3 ttl=62 time=0.300 ms',
      '',
      '--- 198.18.3.11 ping statistics ---',
      '4 packets transmitted, 3 received, +1 duplicates, 25% packet loss, time 3ms',
    ].join('\n');
    const r = parsePingOutput(out);
    expect(r).toMatchObject({ sent: 4, received: 3 });
    expect(r.rttSeconds.map((s) => Math.round(s * 1e6))).toEqual([200, 100, 300]);
    expect(r.p50Seconds).toBeCloseTo(0.0002, 9);
    expect(p50([4, 1, 3, 2])).toBe(2);
    expect(p50([])).toBeNaN();
  });
});
