// Judges the target store at one moment, per target: which source nodes fail which
// addresses, and whether that is one node's problem (others reached the same address after
// this node's failures began), the endpoint's own (no node reaches it), or still undecided
// (others' last word predates the failure: no finding this pass, the next round decides).
// Pure: detectors turn the judgement into findings.
import { cidrContains } from '../../../shared/src/cidr.ts';
import { parseTargetAddress } from '../../../shared/src/target-address.ts';
import type { NodeState } from '../model/cluster-snapshot.ts';
import { outcomeOk } from './last-outcome-columns.ts';
import { addressKey, type AddressHistory, type TargetStore } from './target-store.ts';
import type { TargetSpec } from './targets-file.ts';

export interface JudgementOptions {
  nowMs: number;
  /** A last result older than this says nothing any more. */
  staleMs: number;
  /** An address this agent instance never reached is "not reachable yet" this long after its first probe. */
  graceMs: number;
}

export interface AddressState {
  verdict: 'ok' | 'failing' | 'unknown';
  /** Failing: when the current run of failures began. Ok: when the last success was seen. */
  sinceMs: number;
  error: string;
  /** Failing and never reached since the agent started, still within the grace period. */
  notYet: boolean;
}

export function judgeAddress(h: AddressHistory | undefined, o: JudgementOptions): AddressState {
  const last = h?.outcomes.at(-1);
  if (!h || !last || o.nowMs - last.atMs > o.staleMs) return { verdict: 'unknown', sinceMs: 0, error: '', notYet: false };
  if (last.ok) return { verdict: 'ok', sinceMs: last.atMs, error: '', notYet: false };
  let i = h.outcomes.length - 1;
  while (i > 0 && !h.outcomes[i - 1]!.ok) i--;
  const run = h.outcomes.length - i;
  // One failure may be a lost SYN; two in a row is a failing path.
  if (run < 2) return { verdict: 'unknown', sinceMs: 0, error: last.error, notYet: false };
  return { verdict: 'failing', sinceMs: h.outcomes[i]!.atMs, error: last.error, notYet: !h.everOk && o.nowMs - h.firstAtMs < o.graceMs };
}

/** One address over every alive node: only failing nodes are listed; the healthy majority is counted. */
export interface AddressSummary {
  failing: Map<string, AddressState>;
  okCount: number;
  /** The latest success seen from any node. */
  latestOkMs: number;
  /** Nodes with a judged (ok or failing) state. */
  judgedCount: number;
}

export interface TargetJudgement {
  spec: TargetSpec;
  /** Source nodes with a judged state for some address of this target. */
  sourceCount: number;
  service: AddressSummary;
  endpoints: Map<string, AddressSummary>;
  /** The state of one address from one node (for the few nodes a finding is about). */
  stateOf(node: string, address: string): AddressState;
  /** Endpoints no node reaches (every judged node fails it), with the node whose pod CIDR holds it. */
  endpointsDown: { endpoint: string; owner?: string; notYet: boolean; error: string; failingFrom: string[] }[];
  /** Per source node: addresses it fails that another node reached after its failures began. */
  nodeFailures: Map<string, { address: string; notYet: boolean; error: string }[]>;
  /** The Service address fails from every judged node (targets without endpoints). */
  serviceDownEverywhere: boolean;
}

/**
 * Per target that some node fails now (the store's index of latest failures; a target no node
 * fails judges to nothing), over the alive nodes: O(targets × addresses) plus, for those
 * targets, a scan of each address's column of latest outcomes (contiguous arrays, one cell per
 * node) and a look at the histories of the nodes failing it. Allocates only for failing
 * states: the healthy majority is counted, not listed.
 */
export function judgeTargets(
  specs: readonly TargetSpec[],
  store: TargetStore,
  nodes: readonly NodeState[],
  alive: ReadonlySet<string>,
  o: JudgementOptions,
): TargetJudgement[] {
  const ownerOf = (address: string): string | undefined => {
    const host = parseTargetAddress(address)?.host;
    if (!host) return undefined;
    return nodes.find((n) =>
      [...(n.hostAgent?.hello.podCidrs ?? []), ...(n.podAgent?.hello.podCidrs ?? [])].some((c) => cidrContains(c, host)),
    )?.name;
  };
  const troubled = specs.filter((spec) => [spec.address, ...spec.endpoints].some((a) => store.failing(addressKey(spec.name, a))));
  if (troubled.length === 0) return [];
  const aliveSlots = new Uint8Array(store.slotLimit);
  for (const node of alive) {
    const slot = store.slotOf(node);
    if (slot !== undefined) aliveSlots[slot] = 1;
  }
  /** `judged` marks, by node slot, the nodes with a judged state for some address of the target. */
  const summarize = (key: string, judged: Uint8Array): AddressSummary => {
    const summary: AddressSummary = { failing: new Map(), okCount: 0, latestOkMs: 0, judgedCount: 0 };
    const column = store.lastOutcomes(key);
    if (column) {
      const { state, atMs } = column;
      for (let slot = 0; slot < aliveSlots.length; slot++) {
        if (state[slot] !== outcomeOk || aliveSlots[slot] === 0 || o.nowMs - atMs[slot]! > o.staleMs) continue;
        summary.okCount++;
        if (atMs[slot]! > summary.latestOkMs) summary.latestOkMs = atMs[slot]!;
        judged[slot] = 1;
      }
    }
    // Only a node whose latest outcome is a failure can be failing: the store's index lists them.
    for (const node of [...(store.failing(key) ?? [])].sort()) {
      if (!alive.has(node)) continue;
      const state = judgeAddress(store.history(node)?.get(key), o);
      if (state.verdict !== 'failing') continue;
      summary.failing.set(node, state);
      judged[store.slotOf(node)!] = 1;
    }
    summary.judgedCount = summary.okCount + summary.failing.size;
    return summary;
  };
  return troubled.map((spec) => {
    const judged = new Uint8Array(aliveSlots.length);
    const service = summarize(addressKey(spec.name, spec.address), judged);
    const endpoints = new Map(spec.endpoints.map((ep) => [ep, summarize(addressKey(spec.name, ep), judged)] as const));
    const nodeFailures = new Map<string, { address: string; notYet: boolean; error: string }[]>();
    const endpointsDown: TargetJudgement['endpointsDown'] = [];
    let serviceDownEverywhere = false;
    const classify = (address: string, summary: AddressSummary, onDown: () => void): void => {
      if (summary.failing.size === 0) return;
      if (summary.okCount === 0) return onDown();
      for (const [node, s] of summary.failing) {
        // Only an ok seen after this node's failures began shows the address itself is fine.
        if (summary.latestOkMs > s.sinceMs)
          nodeFailures.set(node, [...(nodeFailures.get(node) ?? []), { address, notYet: s.notYet, error: s.error }]);
      }
    };
    for (const [ep, summary] of endpoints) {
      classify(ep, summary, () => {
        const states = [...summary.failing.values()];
        endpointsDown.push({
          endpoint: ep,
          owner: ownerOf(ep),
          notYet: states.every((s) => s.notYet),
          error: states[0]!.error,
          failingFrom: [...summary.failing.keys()].sort(),
        });
      });
    }
    // The Service address of a target with endpoints is judged by ServicePathBroken, against them.
    if (spec.endpoints.length === 0) classify(spec.address, service, () => (serviceDownEverywhere = true));
    const stateOf = (node: string, address: string): AddressState =>
      judgeAddress(store.history(node)?.get(addressKey(spec.name, address)), o);
    const sourceCount = judged.reduce((n, mark) => n + mark, 0);
    return { spec, sourceCount, service, endpoints, stateOf, endpointsDown, nodeFailures, serviceDownEverywhere };
  });
}
