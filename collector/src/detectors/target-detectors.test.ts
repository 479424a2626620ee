import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { TargetBatchSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import type { NodeState } from '../model/cluster-snapshot.ts';
import { judgeTargets } from '../targets/target-judgement.ts';
import { createTargetStore } from '../targets/target-store.ts';
import type { TargetSpec } from '../targets/targets-file.ts';
import { detectServicePathBroken, detectTargetUnreachable } from './target-detectors.ts';

const web: TargetSpec = {
  name: 'default/web',
  protocol: 'tcp',
  address: '198.19.0.10:80',
  endpoints: ['198.18.1.5:8080', '198.18.2.5:8080'],
  query: '',
};
const names = ['node-1', 'node-2', 'node-3'];
const nodes = names.map((name, i) => ({ name, podAgent: { hello: { podCidrs: [`198.18.${i + 1}.0/24`] } } }) as unknown as NodeState);
const alive = new Set(names);
const graceMs = 60_000;

/** A store fed round by round: `fails(node, address)` says which probes fail in a round. */
function rounds(
  count: number,
  fails: (node: string, address: string, round: number) => boolean,
  options: { startMs?: number; instance?: string } = {},
) {
  const store = createTargetStore([web]);
  let nowMs = options.startMs ?? 1_000_000;
  const run = (n: number, f: typeof fails, from = 0) => {
    for (let r = from; r < from + n; r++) {
      nowMs += 2_000;
      for (const node of names) {
        const results = [web.address, ...web.endpoints].map((address) => ({
          target: web.name,
          address,
          ok: !f(node, address, r),
          error: f(node, address, r) ? 'timeout' : '',
        }));
        // Nodes report at slightly different moments within a round.
        expect(
          store.ingest(node, options.instance ?? 'i1', create(TargetBatchSchema, { results }), nowMs + names.indexOf(node) * 100),
        ).toBeUndefined();
      }
    }
  };
  run(count, fails);
  const judge = (at = nowMs + 500) => judgeTargets([web], store, nodes, alive, { nowMs: at, staleMs: 30_000, graceMs });
  return { store, judge, run, now: () => nowMs };
}

describe('target detectors', () => {
  it('find nothing when every node reaches the Service and its endpoints', () => {
    const { judge } = rounds(3, () => false);
    expect(detectServicePathBroken(judge())).toEqual([]);
    expect(detectTargetUnreachable(judge())).toEqual([]);
  });

  it('ServicePathBroken names the one node whose Service address fails while the endpoints answer from it', () => {
    const { judge } = rounds(5, (node, address, r) => r >= 2 && node === 'node-2' && address === web.address);
    const [finding, ...rest] = detectServicePathBroken(judge());
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ id: 'ServicePathBroken:node-2:default/web', nodes: ['node-2'], severity: 'critical' });
    expect(finding!.summary).toMatch(/kube-proxy/);
    expect(detectTargetUnreachable(judge())).toEqual([]);
  });

  it('one failure is not a failing path', () => {
    const { judge } = rounds(4, (node, address, r) => r === 3 && node === 'node-2' && address === web.address);
    expect(detectServicePathBroken(judge())).toEqual([]);
  });

  it('TargetUnreachable names the node whose pods cannot reach one endpoint, and no ServicePathBroken then', () => {
    const { judge } = rounds(
      5,
      (node, address, r) => r >= 1 && node === 'node-3' && (address === '198.18.1.5:8080' || (address === web.address && r % 2 === 0)),
    );
    expect(detectServicePathBroken(judge())).toEqual([]);
    const findings = detectTargetUnreachable(judge());
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'TargetUnreachable:node-3:default/web', nodes: ['node-3'], severity: 'critical' });
    expect(findings[0]!.summary).toMatch(/198\.18\.1\.5:8080/);
  });

  it('an endpoint no node reaches names the endpoint and the node hosting it, not the probing nodes', () => {
    const { judge } = rounds(5, (_node, address, r) => r >= 2 && address === '198.18.2.5:8080');
    const findings = detectTargetUnreachable(judge());
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ id: 'TargetUnreachable:default/web:198.18.2.5:8080', nodes: ['node-2'] });
    expect(findings[0]!.summary).toMatch(/answers from no node/);
  });

  it('at the onset of an endpoint outage, no node is named before the others have probed again', () => {
    // Round 4: node-1 has failed twice, the others' last word (ok) predates node-1's failures? No: they failed too, later.
    const { judge, store, now } = rounds(3, () => false);
    // node-1 fails twice before node-2 and node-3 probe again.
    for (const at of [now() + 1_000, now() + 3_000])
      store.ingest(
        'node-1',
        'i1',
        create(TargetBatchSchema, { results: [{ target: web.name, address: '198.18.2.5:8080', ok: false, error: 'timeout' }] }),
        at,
      );
    expect(detectTargetUnreachable(judge(now() + 3_500))).toEqual([]);
  });

  it('an address never reached since the agent started is info until the grace ends, then critical', () => {
    const { judge, now } = rounds(3, (_node, address) => address === '198.18.2.5:8080');
    const [early] = detectTargetUnreachable(judge());
    expect(early).toMatchObject({ severity: 'info', id: 'TargetUnreachable:default/web:198.18.2.5:8080' });
    expect(early!.summary).toMatch(/not reachable yet/);
    const later = rounds(40, (_node, address) => address === '198.18.2.5:8080');
    expect(detectTargetUnreachable(later.judge())[0]).toMatchObject({ severity: 'critical' });
    expect(now()).toBeGreaterThan(0);
  });

  it('a stale node says nothing; a new agent instance starts its history afresh', () => {
    const { judge, store, now } = rounds(3, (node, address) => node === 'node-2' && address === web.address);
    expect(detectServicePathBroken(judge(now() + 60_000))).toEqual([]);
    store.ingest(
      'node-2',
      'i2',
      create(TargetBatchSchema, { results: [{ target: web.name, address: web.address, ok: false, error: 'timeout' }] }),
      now() + 1,
    );
    expect(store.history('node-2')!.get(`${web.name}|${web.address}`)!.outcomes).toHaveLength(1);
  });

  it('the store keeps only addresses of the current set and refuses an oversized batch', () => {
    const store = createTargetStore([web]);
    store.ingest('node-1', 'i1', create(TargetBatchSchema, { results: [{ target: 'other', address: '198.19.9.9:1', ok: true }] }), 1);
    expect(store.size).toBe(0);
    const many = Array.from({ length: 2049 }, () => ({ target: web.name, address: web.address, ok: true }));
    expect(store.ingest('node-1', 'i1', create(TargetBatchSchema, { results: many }), 1)).toMatch(/2049 target results/);
    store.ingest('node-1', 'i1', create(TargetBatchSchema, { results: [{ target: web.name, address: web.address, ok: true }] }), 1);
    expect(store.size).toBe(1);
    store.setSpecs([]);
    expect(store.size).toBe(0);
    const capped = createTargetStore([web], 2);
    capped.ingest(
      'node-1',
      'i1',
      create(TargetBatchSchema, { results: [web.address, ...web.endpoints].map((address) => ({ target: web.name, address, ok: true })) }),
      1,
    );
    expect(capped.size).toBe(2);
    capped.prune(new Set());
    expect(capped.size).toBe(0);
  });
});
