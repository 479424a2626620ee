// Judges the target store at one moment, per target: which source nodes fail which
// addresses, and whether that is one node's problem (others reached the same address after
// this node's failures began), the endpoint's own (no node reaches it), or still undecided
// (others' last word predates the failure: no finding this pass, the next round decides).
// Pure: detectors turn the judgement into findings.
import { cidrContains } from '../../../shared/src/cidr.ts';
import { parseTargetAddress } from '../../../shared/src/target-address.ts';
import type { NodeState } from '../model/cluster-snapshot.ts';
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

export interface TargetJudgement {
  spec: TargetSpec;
  /** Source nodes with a judged (not unknown) state for some address of this target. */
  sources: string[];
  /** Per source node: the state of the Service address and of each endpoint. */
  service: Map<string, AddressState>;
  endpoints: Map<string, Map<string, AddressState>>;
  /** Endpoints no node reaches (every judged node fails it), with the node whose pod CIDR holds it. */
  endpointsDown: { endpoint: string; owner?: string; notYet: boolean; error: string }[];
  /** Per source node: addresses it fails that another node reached after its failures began. */
  nodeFailures: Map<string, { address: string; notYet: boolean; error: string }[]>;
  /** The Service address fails from every judged node (targets without endpoints). */
  serviceDownEverywhere: boolean;
}

/** Nodes whose pod agent may speak for its node now (alive), with their pod CIDRs. */
export function judgeTargets(specs: readonly TargetSpec[], store: TargetStore, nodes: readonly NodeState[], alive: ReadonlySet<string>, o: JudgementOptions): TargetJudgement[] {
  const ownerOf = (address: string): string | undefined => {
    const host = parseTargetAddress(address)?.host;
    if (!host) return undefined;
    return nodes.find((n) => [...(n.hostAgent?.hello.podCidrs ?? []), ...(n.podAgent?.hello.podCidrs ?? [])].some((c) => cidrContains(c, host)))?.name;
  };
  return specs.map((spec) => {
    const service = new Map<string, AddressState>();
    const endpoints = new Map<string, Map<string, AddressState>>();
    for (const node of alive) {
      const h = store.history(node);
      if (!h) continue;
      service.set(node, judgeAddress(h.get(addressKey(spec.name, spec.address)), o));
      for (const ep of spec.endpoints) {
        if (!endpoints.has(ep)) endpoints.set(ep, new Map());
        endpoints.get(ep)!.set(node, judgeAddress(h.get(addressKey(spec.name, ep)), o));
      }
    }
    const judged = new Set<string>();
    for (const [node, s] of service) if (s.verdict !== 'unknown') judged.add(node);
    for (const m of endpoints.values()) for (const [node, s] of m) if (s.verdict !== 'unknown') judged.add(node);
    const nodeFailures = new Map<string, { address: string; notYet: boolean; error: string }[]>();
    const endpointsDown: TargetJudgement['endpointsDown'] = [];
    let serviceDownEverywhere = false;
    const classify = (address: string, states: Map<string, AddressState>, onDown: (failing: AddressState[]) => void): void => {
      const entries = [...states].filter(([, s]) => s.verdict !== 'unknown');
      const failing = entries.filter(([, s]) => s.verdict === 'failing');
      if (failing.length === 0) return;
      if (failing.length === entries.length) return onDown(failing.map(([, s]) => s));
      for (const [node, s] of failing) {
        // Only an ok seen after this node's failures began shows the address itself is fine.
        if (entries.some(([, other]) => other.verdict === 'ok' && other.sinceMs > s.sinceMs)) {
          nodeFailures.set(node, [...(nodeFailures.get(node) ?? []), { address, notYet: s.notYet, error: s.error }]);
        }
      }
    };
    for (const [ep, states] of endpoints) {
      classify(ep, states, (failing) => endpointsDown.push({ endpoint: ep, owner: ownerOf(ep), notYet: failing.every((s) => s.notYet), error: failing[0]!.error }));
    }
    // The Service address of a target with endpoints is judged by ServicePathBroken, against them.
    if (spec.endpoints.length === 0) classify(spec.address, service, () => (serviceDownEverywhere = true));
    return { spec, sources: [...judged].sort(), service, endpoints, endpointsDown, nodeFailures, serviceDownEverywhere };
  });
}
