import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { TargetBatchSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { addressKey, createTargetStore, type TargetStore } from './target-store.ts';
import type { TargetSpec } from './targets-file.ts';

const spec = (name: string, endpoints: string[]): TargetSpec => ({
  name,
  protocol: 'tcp',
  address: '198.19.0.10:80',
  endpoints,
  query: '',
});
const web = spec('default/web', ['198.18.1.5:8080', '198.18.2.5:8080']);
const batch = (results: { address: string; ok: boolean }[], target = web.name) =>
  create(TargetBatchSchema, { results: results.map((r) => ({ target, address: r.address, ok: r.ok, error: r.ok ? '' : 'timeout' })) });
const failingOf = (store: TargetStore, address: string) => [...(store.failing(addressKey(web.name, address)) ?? [])].sort();

/** The index rebuilt from scratch: nodes whose latest outcome for the key is a failure. */
function scan(store: TargetStore, key: string): string[] {
  return [...store.nodes()].filter((node) => store.history(node)?.get(key)?.outcomes.at(-1)?.ok === false).sort();
}

describe('target store: index of latest failures', () => {
  it('follows the latest outcome per node and address', () => {
    const store = createTargetStore([web]);
    const ep = web.endpoints[0]!;
    store.ingest('node-1', 'a', batch([{ address: ep, ok: false }]), 1);
    store.ingest('node-2', 'a', batch([{ address: ep, ok: false }]), 1);
    expect(failingOf(store, ep)).toEqual(['node-1', 'node-2']);
    store.ingest('node-1', 'a', batch([{ address: ep, ok: true }]), 2);
    expect(failingOf(store, ep)).toEqual(['node-2']);
    store.ingest('node-2', 'a', batch([{ address: ep, ok: true }]), 2);
    expect(store.failing(addressKey(web.name, ep))).toBeUndefined();
  });

  it('forgets a node on a new agent instance, on prune, and an address leaving the set', () => {
    const store = createTargetStore([web]);
    const [ep1, ep2] = web.endpoints as [string, string];
    for (const node of ['node-1', 'node-2', 'node-3'])
      store.ingest(
        node,
        'a',
        batch([
          { address: ep1, ok: false },
          { address: ep2, ok: false },
        ]),
        1,
      );
    store.ingest('node-1', 'b', batch([{ address: ep1, ok: true }]), 2);
    expect(failingOf(store, ep1)).toEqual(['node-2', 'node-3']);
    expect(failingOf(store, ep2)).toEqual(['node-2', 'node-3']);
    store.prune(new Set(['node-1', 'node-3']));
    expect(failingOf(store, ep1)).toEqual(['node-3']);
    store.setSpecs([spec(web.name, [ep1])]);
    expect(store.failing(addressKey(web.name, ep2))).toBeUndefined();
    expect(failingOf(store, ep1)).toEqual(['node-3']);
  });

  it('matches a scan of every history over random reports, restarts, prunes and set changes', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const addresses = [web.address, ...web.endpoints, '198.18.3.5:8080'];
    const store = createTargetStore([web], 40);
    const nodes = Array.from({ length: 12 }, (_, i) => `node-${i + 1}`);
    for (let step = 0; step < 2_000; step++) {
      const roll = random();
      const node = nodes[Math.floor(random() * nodes.length)]!;
      if (roll < 0.02) store.prune(new Set(nodes.filter(() => random() < 0.8)));
      else if (roll < 0.04)
        store.setSpecs([
          spec(
            web.name,
            addresses.slice(1).filter(() => random() < 0.7),
          ),
        ]);
      else
        store.ingest(
          node,
          random() < 0.03 ? `i${step}` : 'a',
          batch(addresses.filter(() => random() < 0.6).map((address) => ({ address, ok: random() < 0.5 }))),
          step,
        );
      for (const address of addresses) {
        const key = addressKey(web.name, address);
        expect([...(store.failing(key) ?? [])].sort(), `step ${step} ${address}`).toEqual(scan(store, key));
        // The columns mirror every node's latest kept outcome.
        for (const node of store.nodes()) {
          const last = store.history(node)?.get(key)?.outcomes.at(-1);
          const slot = store.slotOf(node)!;
          const column = store.lastOutcomes(key);
          expect(column?.state[slot] ?? 0, `step ${step} ${node} ${address}`).toBe(last ? (last.ok ? 2 : 1) : 0);
          if (last) expect(column!.atMs[slot]).toBe(last.atMs);
        }
      }
    }
  });
});
