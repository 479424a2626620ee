// Where each node is in its life, inferred from evidence (the Kubernetes API is not needed):
// - joining: a node first seen after the collector's start-up window, until its overlay
//   converged (its own chain to every peer, and every peer's chain to it, verified) or the
//   converge grace ran out;
// - settling: the same for a node whose overlay device vanished or came back with another
//   VTEP MAC (the CNI restarting);
// - departing: every agent of the node disconnected less than the departing window ago;
// - left: its agents are gone AND every peer that verifies the overlay has removed its whole
//   chain toward it — what flannel does when a Node is deleted. The model drops it from every
//   peer set (model.nodeLeft) and lists it as departed.
// Findings about a node that is joining, settling or departing, and peers' overlay problems
// toward it, are held (lifecycle-hold.ts); they show once the grace or window is over.
import { LinkRole, OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import type { ClusterModel } from './cluster-model.ts';
import type { ClusterSnapshot, NodeState } from './cluster-snapshot.ts';
import { overlayEvidence, type OverlayEvidence } from './overlay-evidence.ts';

export type LifecycleState = 'joining' | 'settling' | 'departing';

export interface LifecycleHold {
  readonly state: LifecycleState;
  readonly sinceMs: number;
  readonly reason: string;
}

export interface NodeLifecycle {
  /** Updates every node's state from a snapshot and concludes departures (model.nodeLeft). */
  observe(snapshot: ClusterSnapshot): void;
  /** Nodes whose findings are held as of the last observe, by name. */
  readonly held: ReadonlyMap<string, LifecycleHold>;
}

/** With the Kubernetes API on: what it says about Nodes (kubernetes/node-informer.ts). */
export interface LifecycleApiView {
  /** Nodes the API deleted (name → ms). */
  readonly deleted: ReadonlyMap<string, number>;
  /** Nodes the API marked for deletion (deletionTimestamp set). */
  isDeleting(name: string): boolean;
  /** The overlay the cluster records for the node (e.g. flannel's backend-type annotation), if any. */
  expectedOverlay?(name: string): string | undefined;
}

interface Tracked {
  deletingSinceMs?: number;
  vtepMac: string;
  overlayAbsent: boolean;
  settling?: { state: 'joining' | 'settling'; sinceMs: number; reason: string; generation: bigint; unknown?: boolean };
}

const allAgents = (node: NodeState) => [node.hostAgent, node.podAgent].filter((a) => a !== undefined);

const overlayAbsent = (node: NodeState): boolean =>
  node.hostAgent?.report?.links.some((link) => link.role === LinkRole.OVERLAY && !link.present) ?? false;

/** The host agent found no overlay device (none at start, or the one it had is gone). */
const noOverlayDevice = (node: NodeState): boolean =>
  node.hostAgent !== undefined &&
  (node.hostAgent.hello.overlay === undefined || node.hostAgent.hello.overlay.kind === OverlayKind.NONE || overlayAbsent(node));

export function createNodeLifecycle(deps: {
  model: Pick<ClusterModel, 'nodeLeft' | 'membershipGeneration'>;
  logger: Logger;
  /** When the collector started, ms since the epoch: nodes first seen within startupWindowMs of it are reconnecting, not joining. */
  startedMs: number;
  startupWindowMs: number;
  convergeGraceMs: number;
  departingWindowMs: number;
  /**
   * A departure is concluded no sooner than this after the last agent disconnected: an agent
   * reconnecting to re-announce its node (a new overlay device) is not a node leaving.
   */
  leaveAfterMs?: number;
  /** With the API on, a Node's deletion is decisive: its node leaves once its agents are gone. */
  api?: LifecycleApiView;
}): NodeLifecycle {
  const leaveAfterMs = deps.leaveAfterMs ?? 2_000;
  const log = deps.logger.child({ component: 'node-lifecycle' });
  const tracked = new Map<string, Tracked>();
  let held = new Map<string, LifecycleHold>();

  const settle = (name: string, entry: Tracked, state: 'joining' | 'settling', at: number, reason: string): void => {
    entry.settling = { state, sinceMs: at, reason, generation: deps.model.membershipGeneration };
    log.info(
      { node: name, state, reason, graceSeconds: deps.convergeGraceMs / 1000 },
      `node ${state}: overlay findings about it held until it converges`,
    );
  };

  const observeNode = (
    node: NodeState,
    snapshot: ClusterSnapshot,
    evidence: () => OverlayEvidence,
    untrusted: ReadonlySet<string>,
  ): void => {
    const at = snapshot.nowMs;
    const mac = node.hostAgent?.hello.overlay?.vtepMac ?? '';
    const absent = overlayAbsent(node);
    let entry = tracked.get(node.name);
    if (!entry) {
      entry = { vtepMac: mac, overlayAbsent: absent };
      tracked.set(node.name, entry);
      if (at - deps.startedMs >= deps.startupWindowMs) settle(node.name, entry, 'joining', at, 'first seen');
    }
    if (entry.vtepMac !== '' && mac !== '' && mac !== entry.vtepMac)
      settle(node.name, entry, 'settling', at, `overlay device recreated (VTEP MAC ${entry.vtepMac} → ${mac})`);
    else if (absent && !entry.overlayAbsent) settle(node.name, entry, 'settling', at, 'overlay device gone (the CNI restarting?)');
    if (mac !== '') entry.vtepMac = mac;
    entry.overlayAbsent = absent;
    const settling = entry.settling;
    if (!settling) return;
    if (evidence().overlayConverged(node, settling.generation)) {
      log.info({ node: node.name, state: settling.state, seconds: (at - settling.sinceMs) / 1000 }, 'node overlay converged');
      delete entry.settling;
    } else if (
      settling.state === 'joining' &&
      at - settling.sinceMs >= deps.convergeGraceMs &&
      evidence().unknownToOverlay(node.name, untrusted)
    ) {
      // Past the grace and still no peer holds a single entry toward it: the CNI does not know
      // this node (in standalone use, a made-up one). Its peers are not at fault; keep it held.
      if (!settling.unknown) {
        settling.unknown = true;
        settling.reason =
          'unknown to the overlay: past the converge grace, no peer holds any route, neighbor or FDB entry toward it (a node the CNI does not know; with the Kubernetes API on, nodes it does not list are refused)';
        log.warn(
          { node: node.name.slice(0, 253), seconds: (at - settling.sinceMs) / 1000 },
          "joining node unknown to the overlay: no peer programmed any entry toward it; peers' overlay problems toward it stay held",
        );
      }
    } else if (at - settling.sinceMs >= deps.convergeGraceMs) {
      log.warn(
        { node: node.name, state: settling.state, seconds: (at - settling.sinceMs) / 1000 },
        'node overlay did not converge within the grace; its findings show',
      );
      delete entry.settling;
    }
  };

  // With the API: a node without its overlay device whose Node records one is waiting for its
  // CNI — that is the cause to show, not "overlay: none".
  const withExpectedOverlay = (node: NodeState, reason: string): string => {
    const expected = deps.api?.expectedOverlay?.(node.name);
    return expected && noOverlayDevice(node)
      ? `${reason}; waiting for the CNI: the Node says ${expected}, the node has no overlay device yet`
      : reason;
  };

  return {
    get held() {
      return held;
    },
    observe(snapshot) {
      const next = new Map<string, LifecycleHold>();
      const present = new Set<string>();
      let built: OverlayEvidence | undefined;
      const evidence = (): OverlayEvidence => (built ??= overlayEvidence(snapshot));
      // Nodes still joining or settling are no witnesses of whether the overlay knows another node.
      const untrusted = new Set(held.keys());
      for (const node of snapshot.nodes) {
        present.add(node.name);
        observeNode(node, snapshot, evidence, untrusted);
        const agents = allAgents(node);
        const allGone = agents.length > 0 && agents.every((a) => !a.connected);
        const deletedAtMs = deps.api?.deleted.get(node.name);
        if (deletedAtMs !== undefined || deps.api?.isDeleting(node.name)) {
          const entry = tracked.get(node.name);
          const since = deletedAtMs ?? (entry ? (entry.deletingSinceMs ??= snapshot.nowMs) : snapshot.nowMs);
          const reason =
            deletedAtMs !== undefined
              ? 'its Node was deleted from the Kubernetes API'
              : 'its Node is being deleted (deletionTimestamp set)';
          if (allGone && deletedAtMs !== undefined && deps.model.nodeLeft(node.name, reason)) {
            log.info({ node: node.name, secondsAfterDelete: (snapshot.nowMs - deletedAtMs) / 1000, reason }, 'node left the cluster');
            tracked.delete(node.name);
            continue;
          }
          if (snapshot.nowMs - since < deps.departingWindowMs) {
            next.set(node.name, { state: 'departing', sinceMs: since, reason: `${reason}; waiting for its agents to stop` });
            continue;
          }
        }
        if (allGone) {
          const since = Math.max(...agents.map((a) => a.disconnectedAtMs ?? a.lastSeenMs));
          if (snapshot.nowMs - since >= leaveAfterMs && evidence().peersRemovedChainTo(node.name)) {
            const reason = 'its agents disconnected and every peer removed its overlay route, neighbor and FDB entries toward it';
            if (deps.model.nodeLeft(node.name, reason)) {
              log.info({ node: node.name, secondsAfterDisconnect: (snapshot.nowMs - since) / 1000, reason }, 'node left the cluster');
              tracked.delete(node.name);
              continue;
            }
          }
          if (snapshot.nowMs - since < deps.departingWindowMs)
            next.set(node.name, { state: 'departing', sinceMs: since, reason: 'its agents disconnected' });
          continue;
        }
        const settling = tracked.get(node.name)?.settling;
        if (settling)
          next.set(node.name, { state: settling.state, sinceMs: settling.sinceMs, reason: withExpectedOverlay(node, settling.reason) });
      }
      for (const name of tracked.keys()) if (!present.has(name)) tracked.delete(name);
      held = next;
    },
  };
}
