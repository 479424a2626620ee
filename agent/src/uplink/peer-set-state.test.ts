import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { PeerSchema, PeerSetDeltaSchema, PeerSetSchema, type Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { createPeerSetState } from './peer-set-state.ts';
import { maxPeerSetEntries } from './validate-peer-set.ts';

const peer = (nodeName: string, network = Network.HOST, extra: Partial<Omit<Peer, '$typeName'>> = {}): Peer =>
  create(PeerSchema, {
    nodeName,
    network,
    nodeIp: '192.0.2.10',
    podCidrs: ['198.18.1.0/24'],
    probeAddress: '192.0.2.10',
    probePort: 7946,
    ...extra,
  });
const full = (generation: bigint, peers: Peer[]) => create(PeerSetSchema, { generation, peers });
const delta = (baseGeneration: bigint, generation: bigint, upserted: Peer[], removed: [string, Network][] = []) =>
  create(PeerSetDeltaSchema, {
    baseGeneration,
    generation,
    upserted,
    removed: removed.map(([nodeName, network]) => ({ nodeName, network })),
  });
const keys = (result: ReturnType<ReturnType<typeof createPeerSetState>['applyFull']>): string[] =>
  result.ok ? result.peerSet.peers.map((p) => `${p.nodeName}/${Network[p.network]}/${p.probePort}`) : [];

describe('agent peer-set state', () => {
  it('applies a full set, then deltas on top of exactly their base, in the collector order', () => {
    const state = createPeerSetState();
    state.newStream();
    expect(keys(state.applyFull(full(5n, [peer('node-2'), peer('node-3'), peer('node-2', Network.POD)])))).toEqual([
      'node-2/HOST/7946',
      'node-3/HOST/7946',
      'node-2/POD/7946',
    ]);
    const result = state.applyDelta(
      delta(
        5n,
        7n,
        [peer('node-1'), peer('node-3', Network.HOST, { probePort: 8000 }), peer('node-4', Network.POD)],
        [
          ['node-2', Network.HOST],
          ['node-9', Network.POD],
        ],
      ),
    );
    expect(keys(result)).toEqual(['node-1/HOST/7946', 'node-3/HOST/8000', 'node-2/POD/7946', 'node-4/POD/7946']);
    expect(result.ok && result.peerSet.generation).toBe(7n);
    expect(state.generation).toBe(7n);
    // An empty delta only moves the generation.
    expect(keys(state.applyDelta(delta(7n, 8n, [])))).toHaveLength(4);
    expect(state.generation).toBe(8n);
  });

  it('refuses a delta whose base is not the held generation and keeps the set', () => {
    const state = createPeerSetState();
    state.newStream();
    state.applyFull(full(5n, [peer('node-2')]));
    const result = state.applyDelta(delta(6n, 7n, [peer('node-3')]));
    expect(result).toEqual({
      ok: false,
      reason: 'mismatch',
      detail: 'a delta from generation 6 to 7 does not apply to the held generation 5',
    });
    expect(state.generation).toBe(5n);
    expect(keys(state.applyDelta(delta(5n, 6n, [peer('node-3')])))).toEqual(['node-2/HOST/7946', 'node-3/HOST/7946']);
  });

  it("refuses a delta before the stream's first full set, even one matching the set from the last stream", () => {
    const state = createPeerSetState();
    expect(state.applyDelta(delta(0n, 1n, [peer('node-2')]))).toMatchObject({ ok: false, reason: 'mismatch' });
    state.newStream();
    state.applyFull(full(5n, [peer('node-2')]));
    state.newStream(); // reconnected: the collector may have restarted and reused generation numbers
    const result = state.applyDelta(delta(5n, 6n, [peer('node-3')]));
    expect(result).toMatchObject({ ok: false, reason: 'mismatch', detail: expect.stringContaining("before this stream's full peer set") });
    expect(state.generation).toBe(5n);
  });

  it('rejects malformed sets and deltas with a clear reason and keeps the set', () => {
    const state = createPeerSetState();
    state.newStream();
    state.applyFull(full(5n, [peer('node-2')]));
    const cases: [ReturnType<typeof state.applyFull>, RegExp][] = [
      [state.applyFull(full(6n, [peer('')])), /peer_set\.peers\.node_name is empty/],
      [state.applyFull(full(6n, [peer('node-3', Network.UNSPECIFIED)])), /network must be NETWORK_HOST or NETWORK_POD/],
      [
        state.applyFull(full(6n, [peer('node-3', Network.HOST, { nodeIp: 'nope' })])),
        /node_ip 'nope' of peer 'node-3' is not an IP address/,
      ],
      [state.applyFull(full(6n, [peer('node-3', Network.HOST, { podCidrs: ['198.18.0.0/99'] })])), /not a valid CIDR/],
      [state.applyFull(full(6n, [peer('node-3', Network.HOST, { vtepMac: 'zz' })])), /vtep_mac 'zz'/],
      [state.applyFull(full(6n, [peer('node-3', Network.HOST, { probePort: 70000 })])), /probe_port of peer 'node-3' is out of range/],
      [state.applyFull(full(6n, [peer('node-3'), peer('node-3')])), /lists peer 'node-3' \(HOST\) twice/],
      [
        state.applyFull(
          full(
            6n,
            Array.from({ length: maxPeerSetEntries + 1 }, (_, i) => peer(`n-${i}`)),
          ),
        ),
        /more than 40000/,
      ],
      [state.applyDelta(delta(5n, 5n, [])), /generation 5 is not after base_generation 5/],
      [state.applyDelta(delta(5n, 6n, [peer('node-3')], [['node-3', Network.HOST]])), /upserted and removed/],
      [state.applyDelta(delta(5n, 6n, [], [['', Network.POD]])), /removed\.node_name is empty/],
      [state.applyDelta(delta(5n, 6n, [peer('x'.repeat(254))])), /longer than 253/],
    ];
    for (const [result, pattern] of cases) {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.reason).toBe('invalid');
        expect(result.detail).toMatch(pattern);
      }
    }
    expect(state.generation).toBe(5n);
    expect(keys(state.applyDelta(delta(5n, 6n, [peer('node-3')])))).toEqual(['node-2/HOST/7946', 'node-3/HOST/7946']);
  });

  it('refuses a delta that would grow the set beyond the limit', () => {
    const state = createPeerSetState();
    state.newStream();
    state.applyFull(
      full(
        1n,
        Array.from({ length: maxPeerSetEntries }, (_, i) => peer(`n-${i}`)),
      ),
    );
    expect(state.applyDelta(delta(1n, 2n, [peer('one-more')]))).toMatchObject({
      ok: false,
      reason: 'invalid',
      detail: expect.stringContaining('grow the peer set to 40001'),
    });
    expect(state.generation).toBe(1n);
  });
});
