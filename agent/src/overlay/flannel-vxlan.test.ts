import { describe, expect, it } from 'vitest';
import { Network, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { VerificationInput } from './backend.ts';
import { flannelVxlanBackend } from './flannel-vxlan.ts';
import { capturedVxlanInput, peer } from './test-fixtures.ts';

const { ROUTE, NEIGHBOR, FDB } = OverlayPart;
type Mutate = (input: VerificationInput) => void;
const route2 = (i: VerificationInput) => i.routes.find((r) => r.dst === '198.18.2.0/24')!;
const neigh2 = (i: VerificationInput) => i.neighbors.find((n) => n.dst === '198.18.2.0')!;
const fdb2 = (i: VerificationInput) => i.fdb.find((e) => e.mac === '0a:58:c6:12:02:00')!;

describe('flannel-vxlan verify', () => {
  it('finds the captured node healthy', () => {
    const r = flannelVxlanBackend.verify(capturedVxlanInput());
    expect(r).toMatchObject({ peersChecked: 3, peersOk: 3, problems: [] });
    expect(r.healthyDigest).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives the same digest regardless of table and peer order', () => {
    const a = capturedVxlanInput();
    const b = capturedVxlanInput();
    b.peers.reverse();
    b.routes.reverse();
    b.fdb.reverse();
    expect(flannelVxlanBackend.verify(b).healthyDigest).toBe(flannelVxlanBackend.verify(a).healthyDigest);
    b.peers.pop();
    expect(flannelVxlanBackend.verify(b).healthyDigest).not.toBe(flannelVxlanBackend.verify(a).healthyDigest);
  });

  const cases: [string, Mutate, { part: OverlayPart; problem: Problem; expected: string; actual: string }[]][] = [
    [
      'route missing',
      (i) => {
        i.routes = i.routes.filter((r) => r.dst !== '198.18.2.0/24');
      },
      [{ part: ROUTE, problem: Problem.MISSING, expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink', actual: 'absent' }],
    ],
    [
      'route only in another table',
      (i) => {
        route2(i).table = '100';
      },
      [{ part: ROUTE, problem: Problem.MISSING, expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink', actual: 'absent' }],
    ],
    [
      'route on the wrong device',
      (i) => {
        Object.assign(route2(i), { dev: 'eth0' });
      },
      [
        {
          part: ROUTE,
          problem: Problem.WRONG_DEVICE,
          expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink',
          actual: '198.18.2.0/24 via 198.18.2.0 dev eth0 onlink',
        },
      ],
    ],
    [
      'route via the wrong gateway',
      (i) => {
        route2(i).gateway = '198.18.2.9';
      },
      [
        {
          part: ROUTE,
          problem: Problem.WRONG_GATEWAY,
          expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink',
          actual: '198.18.2.0/24 via 198.18.2.9 dev flannel.1 onlink',
        },
      ],
    ],
    [
      'route without onlink',
      (i) => {
        route2(i).onlink = false;
      },
      [
        {
          part: ROUTE,
          problem: Problem.NOT_ONLINK,
          expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink',
          actual: '198.18.2.0/24 via 198.18.2.0 dev flannel.1',
        },
      ],
    ],
    [
      'blackhole route',
      (i) => {
        const r = route2(i);
        r.type = 'blackhole';
        delete r.dev;
        delete r.gateway;
        r.onlink = false;
      },
      [ROUTE, ROUTE, ROUTE].map((part, k) => ({
        part,
        problem: [Problem.WRONG_DEVICE, Problem.WRONG_GATEWAY, Problem.NOT_ONLINK][k]!,
        expected: '198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink',
        actual: 'blackhole 198.18.2.0/24',
      })),
    ],
    [
      'neighbor missing',
      (i) => {
        i.neighbors = i.neighbors.filter((n) => n.dst !== '198.18.2.0');
      },
      [
        {
          part: NEIGHBOR,
          problem: Problem.MISSING,
          expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
          actual: 'absent',
        },
      ],
    ],
    [
      'neighbor on another device only',
      (i) => {
        neigh2(i).dev = 'cni0';
      },
      [
        {
          part: NEIGHBOR,
          problem: Problem.MISSING,
          expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
          actual: 'absent',
        },
      ],
    ],
    [
      'neighbor with the wrong MAC',
      (i) => {
        neigh2(i).lladdr = '0a:58:c6:12:99:00';
      },
      [
        {
          part: NEIGHBOR,
          problem: Problem.WRONG_MAC,
          expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
          actual: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:99:00 PERMANENT',
        },
      ],
    ],
    [
      'neighbor not permanent',
      (i) => {
        neigh2(i).states = ['STALE'];
      },
      [
        {
          part: NEIGHBOR,
          problem: Problem.NOT_PERMANENT,
          expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
          actual: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 STALE',
        },
      ],
    ],
    [
      'neighbor FAILED without lladdr',
      (i) => {
        const n = neigh2(i);
        delete n.lladdr;
        n.states = ['FAILED'];
      },
      [NEIGHBOR, NEIGHBOR].map((part, k) => ({
        part,
        problem: [Problem.WRONG_MAC, Problem.NOT_PERMANENT][k]!,
        expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
        actual: '198.18.2.0 dev flannel.1 FAILED',
      })),
    ],
    [
      'FDB entry missing',
      (i) => {
        i.fdb = i.fdb.filter((e) => e.mac !== '0a:58:c6:12:02:00');
      },
      [
        {
          part: FDB,
          problem: Problem.MISSING,
          expected: '0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.12 self permanent',
          actual: 'absent',
        },
      ],
    ],
    [
      'FDB entry to the wrong node',
      (i) => {
        fdb2(i).dst = '192.0.2.99';
      },
      [
        {
          part: FDB,
          problem: Problem.WRONG_DESTINATION,
          expected: '0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.12 self permanent',
          actual: '0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.99 self permanent',
        },
      ],
    ],
    [
      'FDB entry learned, not permanent',
      (i) => {
        fdb2(i).permanent = false;
      },
      [
        {
          part: FDB,
          problem: Problem.NOT_PERMANENT,
          expected: '0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.12 self permanent',
          actual: '0a:58:c6:12:02:00 dev flannel.1 dst 192.0.2.12 self',
        },
      ],
    ],
    [
      'peer changed its VTEP MAC (flannel restarted there)',
      (i) => {
        i.peers[0] = peer(2, { vtepMac: '0A:58:C6:12:22:00' });
      },
      [
        {
          part: NEIGHBOR,
          problem: Problem.WRONG_MAC,
          expected: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:22:00 PERMANENT',
          actual: '198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT',
        },
        {
          part: FDB,
          problem: Problem.MISSING,
          expected: '0a:58:c6:12:22:00 dev flannel.1 dst 192.0.2.12 self permanent',
          actual: 'absent',
        },
      ],
    ],
  ];

  it.each(cases)('%s', (_name, mutate, parts) => {
    const input = capturedVxlanInput();
    mutate(input);
    const r = flannelVxlanBackend.verify(input);
    expect(r.peersChecked).toBe(3);
    expect(r.peersOk).toBe(2);
    expect(r.problems).toEqual([{ peer: 'node-2', parts }]);
  });

  it('reports every peer when the overlay device is gone (all tables empty)', () => {
    const input = { ...capturedVxlanInput(), routes: [], neighbors: [], fdb: [] };
    const r = flannelVxlanBackend.verify(input);
    expect(r).toMatchObject({ peersChecked: 3, peersOk: 0 });
    expect(r.problems.map((p) => p.parts.map((x) => `${OverlayPart[x.part]}:${Problem[x.problem]}`))).toEqual(
      Array(3).fill(['ROUTE:MISSING', 'NEIGHBOR:MISSING', 'FDB:MISSING']),
    );
  });

  it('skips peers it cannot check and does not count them', () => {
    const input = capturedVxlanInput();
    input.peers.push(
      peer(5, { podCidrs: [] }),
      peer(6, { vtepMac: '' }),
      peer(7, { nodeIp: '' }),
      peer(8, { network: Network.POD }),
      peer(9, { podCidrs: ['fd00:198:18::/64'] }),
      peer(1, { podCidrs: ['198.18.1.0/24'] }), // ourselves
    );
    expect(flannelVxlanBackend.verify(input)).toMatchObject({ peersChecked: 3, peersOk: 3, problems: [] });
  });

  it('names a peer without a node name by its node IP', () => {
    const input = capturedVxlanInput();
    input.peers = [peer(5, { nodeName: '' })];
    expect(flannelVxlanBackend.verify(input).problems[0]?.peer).toBe('192.0.2.15');
  });
});
