import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { TargetBatchSchema } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { detectServicePathBroken, detectTargetUnreachable } from '../detectors/target-detectors.ts';
import type { NodeState } from '../model/cluster-snapshot.ts';
import { judgeAddress, judgeTargets, type AddressSummary, type JudgementOptions } from './target-judgement.ts';
import { addressKey, createTargetStore, type TargetStore } from './target-store.ts';
import type { TargetSpec } from './targets-file.ts';

const specs: TargetSpec[] = [0, 1, 2].map((t) => ({
  name: `ns/svc-${t}`,
  protocol: 'tcp',
  address: `198.19.0.${t + 1}:80`,
  endpoints: [`198.18.1.${t + 10}:8080`, `198.18.2.${t + 10}:8080`],
  query: '',
}));
const names = Array.from({ length: 8 }, (_, i) => `node-${i + 1}`);
const nodes = names.map((name, i) => ({ name, podAgent: { hello: { podCidrs: [`198.18.${i + 1}.0/24`] } } }) as unknown as NodeState);

/** The judgement's summary of one address from scratch: every alive node's history looked up. */
function scanSummary(store: TargetStore, alive: Set<string>, key: string, o: JudgementOptions, judged: Set<string>) {
  const summary: AddressSummary = { failing: new Map(), okCount: 0, latestOkMs: 0, judgedCount: 0 };
  for (const node of [...alive].sort()) {
    const history = store.history(node)?.get(key);
    const last = history?.outcomes.at(-1);
    if (!history || !last || o.nowMs - last.atMs > o.staleMs) continue;
    const state = judgeAddress(history, o);
    if (!last.ok && state.verdict !== 'failing') continue;
    if (last.ok) summary.okCount++;
    else summary.failing.set(node, state);
    if (last.ok) summary.latestOkMs = Math.max(summary.latestOkMs, last.atMs);
    summary.judgedCount++;
    judged.add(node);
  }
  return summary;
}

describe('target judgement', () => {
  it('judges only the targets some node fails now', () => {
    const store = createTargetStore(specs);
    const all = specs.flatMap((s) => [s.address, ...s.endpoints].map((address) => ({ target: s.name, address })));
    for (let r = 0; r < 3; r++)
      for (const node of names)
        store.ingest(
          node,
          'a',
          create(TargetBatchSchema, {
            results: all.map((a) => ({
              ...a,
              ok: !(r > 0 && node === 'node-2' && a.address === specs[1]!.endpoints[0]),
              error: 'timeout',
            })),
          }),
          1_000 * r,
        );
    const judged = judgeTargets(specs, store, nodes, new Set(names), { nowMs: 2_500, staleMs: 10_000, graceMs: 0 });
    expect(judged.map((j) => j.spec.name)).toEqual(['ns/svc-1']);
    expect([...judged[0]!.nodeFailures.keys()]).toEqual(['node-2']);
  });

  it('summarizes every address as a scan of every history would, over random rounds', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const store = createTargetStore(specs);
    let compared = 0;
    let findingsSeen = 0;
    for (let round = 0; round < 300; round++) {
      const nowMs = round * 1_000;
      // A few faults at a time: one node failing one address, an address failing everywhere.
      const badNode = names[Math.floor(random() * names.length)]!;
      const badAddress = specs[Math.floor(random() * specs.length)]!.endpoints[Math.floor(random() * 2)]!;
      const downEverywhere = random() < 0.2 ? specs[Math.floor(random() * specs.length)]!.address : '';
      for (const node of names) {
        if (random() < 0.1) continue;
        const results = specs.flatMap((s) =>
          [s.address, ...s.endpoints].map((address) => {
            const fail = (node === badNode && address === badAddress) || address === downEverywhere || random() < 0.03;
            return { target: s.name, address, ok: !fail, error: fail ? 'timeout' : '' };
          }),
        );
        store.ingest(node, random() < 0.01 ? `i${round}` : 'a', create(TargetBatchSchema, { results }), nowMs);
      }
      if (random() < 0.05) store.prune(new Set(names.filter(() => random() < 0.9)));
      const alive = new Set(names.filter(() => random() < 0.95));
      const o = { nowMs: nowMs + 500 + (random() < 0.1 ? 10_000 : 0), staleMs: 10_000, graceMs: 5_000 };
      const judgements = judgeTargets(specs, store, nodes, alive, o);
      for (const spec of specs) {
        const judged = new Set<string>();
        const scanned = [spec.address, ...spec.endpoints].map((a) => scanSummary(store, alive, addressKey(spec.name, a), o, judged));
        const j = judgements.find((x) => x.spec === spec);
        // A target left out is one no alive node fails.
        if (!j) expect(scanned.every((summary) => summary.failing.size === 0)).toBe(true);
        else {
          expect([j.service, ...j.endpoints.values()], `round ${round} ${spec.name}`).toEqual(scanned);
          expect(j.sourceCount).toBe(judged.size);
          compared++;
        }
      }
      // And the detectors find something on most rounds, so the comparison covers findings.
      findingsSeen += [...detectServicePathBroken(judgements), ...detectTargetUnreachable(judgements)].length;
    }
    expect(compared).toBeGreaterThan(300);
    expect(findingsSeen).toBeGreaterThan(50);
  });
});
