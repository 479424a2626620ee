import { describe, expect, it } from 'vitest';
import { overlapsUnderlay } from './gateway.ts';
import { createLabNames } from './naming.ts';
import { createBuildPlan, overlayMtu } from './plan.ts';

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
    expect(createBuildPlan(createLabNames('nslab12', 2, 1), 9000).ip.get('nslab12-node-1')).toContain(
      'link add cni0 mtu 8950 type bridge',
    );
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
