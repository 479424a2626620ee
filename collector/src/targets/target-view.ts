// GET /api/v1/targets: the target set and, per address, which nodes fail it now. Bounded:
// at most 64 targets × 33 addresses, each with at most 20 failing node names (plus a count).
import type { ApiTarget, ApiTargetAddress } from '../../../shared/src/api-types.ts';
import { judgeAddress } from './target-judgement.ts';
import { addressKey, type TargetStore } from './target-store.ts';
import type { TargetSpec } from './targets-file.ts';

/** The API contract's shapes (shared/src/api-types.ts). */
export type AddressView = ApiTargetAddress;
export type TargetView = ApiTarget;

const maxNames = 20;

export function buildTargetViews(specs: readonly TargetSpec[], store: TargetStore, nowMs: number, staleMs: number): TargetView[] {
  const nodes = [...store.nodes()].sort();
  const options = { nowMs, staleMs, graceMs: 0 };
  const view = (target: string, address: string): AddressView => {
    const failing: string[] = [];
    let probedFrom = 0;
    for (const node of nodes) {
      const state = judgeAddress(store.history(node)?.get(addressKey(target, address)), options);
      const h = store.history(node)?.get(addressKey(target, address));
      if (h && h.outcomes.length > 0 && nowMs - h.outcomes.at(-1)!.atMs <= staleMs) probedFrom++;
      if (state.verdict === 'failing') failing.push(node);
    }
    return { address, failingFrom: failing.slice(0, maxNames), failingCount: failing.length, probedFrom };
  };
  return specs.map((s) => ({
    name: s.name,
    protocol: s.protocol,
    service: view(s.name, s.address),
    endpoints: s.endpoints.map((ep) => view(s.name, ep)),
  }));
}
