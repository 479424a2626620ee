// One table of finding kinds: severity, which kinds a finding of this kind may explain (and
// how far its reach goes), its alert and runbook. Detectors take their severity from it, the
// findings engine links root causes to symptoms with it, and a unit test holds the alert
// rules and docs/runbooks against it.
import type { Severity } from './finding-candidate.ts';

/**
 * How a root cause R reaches a symptom S of an explained kind:
 * - node: S names only R's nodes (the same node's other symptoms);
 * - peers: S names only R's nodes and the peers R points at (a pair toward a peer whose
 *   entries R says are broken);
 * - touching: S names at least one of R's nodes (every pair of a node whose protocol is blocked);
 * - pointing: every node S points at is one of R's nodes (a peer whose only broken entries
 *   lead to the node most peers disagree about).
 */
export type Reach = 'node' | 'peers' | 'touching' | 'pointing';

export interface FindingKind {
  readonly kind: string;
  readonly severity: Severity;
  /** Kinds a finding of this kind is the root cause of, with its reach. */
  readonly explains: Readonly<Record<string, Reach>>;
  readonly alert: string;
  /** Path under the repository root. */
  readonly runbook: string;
}

const kind = (k: string, severity: Severity, explains: Record<string, Reach> = {}): FindingKind =>
  Object.freeze({
    kind: k,
    severity,
    explains: Object.freeze(explains),
    alert: `Netsentry${k}`,
    runbook: `docs/runbooks/Netsentry${k}.md`,
  });

/** Ordered roughly from deepest cause to surface symptom. */
export const findingKinds: readonly FindingKind[] = Object.freeze([
  kind('AgentMissing', 'warning', {
    NodeIsolated: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    TargetUnreachable: 'node',
  }),
  // With the Kubernetes API on (kubernetes/record-mismatch.ts): peers program the overlay from
  // the records, so their disagreement toward the node and its isolation follow from it.
  kind('NodeRecordMismatch', 'critical', {
    OverlayPeerDisagreement: 'node',
    OverlayRouteMissing: 'pointing',
    NodeIsolated: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    TargetUnreachable: 'node',
  }),
  kind('OverlayPeerDisagreement', 'critical', {
    OverlayRouteMissing: 'pointing',
    NodeIsolated: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    TargetUnreachable: 'node',
  }),
  kind('LinkDown', 'critical', {
    OverlayRouteMissing: 'node',
    NodeIsolated: 'node',
    ProtocolBlocked: 'node',
    MtuBlackhole: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    TargetUnreachable: 'node',
    ServicePathBroken: 'node',
  }),
  kind('OverlayRouteMissing', 'critical', {
    NodeIsolated: 'peers',
    AsymmetricReachability: 'peers',
    DnsFailure: 'node',
    MtuBlackhole: 'peers',
    TargetUnreachable: 'peers',
  }),
  kind('MtuMismatch', 'warning', { MtuBlackhole: 'peers', AsymmetricReachability: 'peers' }),
  kind('ConntrackPressure', 'warning', {
    DnsFailure: 'node',
    AsymmetricReachability: 'touching',
    TargetUnreachable: 'node',
    ServicePathBroken: 'node',
  }),
  kind('ProtocolBlocked', 'critical', {
    NodeIsolated: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    MtuBlackhole: 'node',
    TargetUnreachable: 'node',
  }),
  kind('NodeIsolated', 'critical', {
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    MtuBlackhole: 'node',
    TargetUnreachable: 'node',
  }),
  kind('MtuBlackhole', 'critical', { AsymmetricReachability: 'touching' }),
  kind('AsymmetricReachability', 'warning'),
  kind('DnsFailure', 'critical'),
  // Service and target probes (collector/src/targets/): info while "not reachable yet".
  kind('ServicePathBroken', 'critical'),
  kind('TargetUnreachable', 'critical'),
  // A link's error/drop counters climbing on one node (collector/src/detectors/link-errors.ts).
  kind('LinkErrors', 'warning', {
    MtuBlackhole: 'node',
    NodeIsolated: 'node',
    AsymmetricReachability: 'touching',
    DnsFailure: 'node',
    TargetUnreachable: 'node',
  }),
]);

const byKind = new Map(findingKinds.map((k) => [k.kind, k]));

/** The table entry for a kind; throws on a kind nobody declared (a programmer error). */
export function findingKind(k: string): FindingKind {
  const entry = byKind.get(k);
  if (!entry) throw new Error(`finding kind ${JSON.stringify(k)} is not in the table (collector/src/findings/finding-kinds.ts)`);
  return entry;
}

/** A kind that may explain others: its resolving is a change point for its nodes' evidence. */
export const isRootCauseKind = (k: string): boolean => Object.keys(byKind.get(k)?.explains ?? {}).length > 0;
