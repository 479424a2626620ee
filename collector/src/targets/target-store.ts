// What pod agents found probing the targets: per source node × target × address, the last
// few outcomes, when the current agent instance first probed it and whether it ever reached
// it. Only addresses of the current target set are kept, so the store is O(nodes × target
// addresses) whatever an agent sends; a new agent instance starts its node's history afresh
// (start-up grace is judged per instance). Kept up to date at ingest beside the histories: per
// address, the nodes whose latest outcome is a failure, so a judgement pass skips the healthy
// addresses (most of them) without looking at every node; and the latest outcomes as columns
// (last-outcome-columns.ts), so the addresses it does judge are scans of contiguous arrays.
import type { TargetBatch } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { createLastOutcomeColumns, outcomeFailed, outcomeOk, type LastOutcomeColumn, type WritableColumn } from './last-outcome-columns.ts';
import type { TargetSpec } from './targets-file.ts';

/** Outcomes kept per address: two consecutive failures make a failing path. */
const keptOutcomes = 3;
/** Agents probe at most 2,048 addresses per round (agent/src/targets/accept-target-set.ts). */
export const maxTargetBatchResults = 2048;

export interface AddressHistory {
  /** Newest last. */
  readonly outcomes: readonly { ok: boolean; atMs: number; error: string }[];
  /** When this agent instance first reported the address. */
  readonly firstAtMs: number;
  /** This agent instance reached the address at least once. */
  readonly everOk: boolean;
}

export interface TargetStore {
  /** Returns a problem (the batch is refused whole) or undefined. */
  ingest(node: string, instanceId: string, batch: TargetBatch, nowMs: number): string | undefined;
  /** Node → "target|address" → history. */
  history(node: string): ReadonlyMap<string, AddressHistory> | undefined;
  /** The nodes whose latest outcome for "target|address" is a failure (undefined: none). */
  failing(key: string): ReadonlySet<string> | undefined;
  /** The latest outcome of "target|address" per node slot (undefined: no node reported it). */
  lastOutcomes(key: string): LastOutcomeColumn | undefined;
  slotOf(node: string): number | undefined;
  /** Every node slot is below this. */
  readonly slotLimit: number;
  nodes(): Iterable<string>;
  /** Drops nodes not in `keep` (the model forgot them). */
  prune(keep: ReadonlySet<string>): void;
  /** The set changed: forget addresses no longer in it. */
  setSpecs(specs: readonly TargetSpec[]): void;
  readonly size: number;
}

export const addressKey = (target: string, address: string): string => `${target}|${address}`;

interface MutableHistory {
  outcomes: { ok: boolean; atMs: number; error: string }[];
  firstAtMs: number;
  everOk: boolean;
  /** This address's column of latest outcomes, written at the node's slot. */
  column: WritableColumn;
}

/** Histories kept in all (≈ 150 bytes each): 5,000 nodes × 100 addresses fit; beyond, new ones are not kept. */
export const defaultMaxTargetHistories = 500_000;

export function createTargetStore(initial: readonly TargetSpec[] = [], maxHistories = defaultMaxTargetHistories): TargetStore {
  let known = new Set<string>();
  let histories = 0;
  const byNode = new Map<string, { instanceId: string; slot: number; entries: Map<string, MutableHistory> }>();
  const failingNow = new Map<string, Set<string>>();
  const columns = createLastOutcomeColumns();
  const markFailing = (key: string, node: string, failing: boolean): void => {
    const nodes = failingNow.get(key);
    if (failing) {
      if (nodes) nodes.add(node);
      else failingNow.set(key, new Set([node]));
    } else if (nodes?.delete(node) && nodes.size === 0) failingNow.delete(key);
  };
  const forgetNode = (node: string, entries: Map<string, MutableHistory>): void => {
    histories -= entries.size;
    for (const [key, h] of entries) {
      if (h.outcomes.at(-1)?.ok === false) markFailing(key, node, false);
      columns.clear(key, node);
    }
  };
  const setSpecs = (specs: readonly TargetSpec[]): void => {
    const previous = known;
    known = new Set(specs.flatMap((s) => [s.address, ...s.endpoints].map((a) => addressKey(s.name, a))));
    for (const node of byNode.values()) for (const key of node.entries.keys()) if (!known.has(key) && node.entries.delete(key)) histories--;
    for (const key of failingNow.keys()) if (!known.has(key)) failingNow.delete(key);
    for (const key of previous) if (!known.has(key)) columns.dropKey(key);
  };
  setSpecs(initial);

  return {
    ingest: (node, instanceId, batch, nowMs) => {
      // Not tied to the current set's size: a batch probed against a larger, older set is fine.
      if (batch.results.length > maxTargetBatchResults)
        return `${batch.results.length} target results in one batch; at most ${maxTargetBatchResults}`;
      let entry = byNode.get(node);
      if (!entry || entry.instanceId !== instanceId) {
        if (entry) forgetNode(node, entry.entries);
        entry = { instanceId, slot: columns.slotFor(node), entries: new Map() };
        byNode.set(node, entry);
      }
      for (const r of batch.results) {
        const key = addressKey(r.target, r.address);
        // Results for a target set the agent has not caught up with yet are dropped, not refused.
        if (!known.has(key)) continue;
        let h = entry.entries.get(key);
        if (!h) {
          if (histories >= maxHistories) continue;
          histories++;
          h = { outcomes: [], firstAtMs: nowMs, everOk: false, column: columns.columnFor(key) };
          entry.entries.set(key, h);
        }
        const wasFailing = h.outcomes.at(-1)?.ok === false;
        h.outcomes.push({ ok: r.ok, atMs: nowMs, error: r.ok ? '' : r.error.slice(0, 16) });
        if (h.outcomes.length > keptOutcomes) h.outcomes.shift();
        if (r.ok) h.everOk = true;
        if (wasFailing === r.ok) markFailing(key, node, !r.ok);
        h.column.state[entry.slot] = r.ok ? outcomeOk : outcomeFailed;
        h.column.atMs[entry.slot] = nowMs;
      }
      return undefined;
    },
    history: (node) => byNode.get(node)?.entries,
    failing: (key) => failingNow.get(key),
    lastOutcomes: (key) => columns.column(key),
    slotOf: (node) => columns.slotOf(node),
    get slotLimit() {
      return columns.slotLimit;
    },
    nodes: () => byNode.keys(),
    prune: (keep) => {
      for (const [node, entry] of [...byNode]) {
        if (keep.has(node)) continue;
        forgetNode(node, entry.entries);
        columns.releaseNode(node);
        byNode.delete(node);
      }
    },
    setSpecs,
    get size() {
      return histories;
    },
  };
}
