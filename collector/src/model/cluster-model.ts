// The collector's soft state: one record per node and agent, rebuilt from agents after a
// restart. The ingest writes to it; detectors, metrics and HTTP read immutable snapshots.
import { create } from '@bufbuild/protobuf';
import { PeerSetSchema, type Hello, type PeerSet } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createProbeBook } from '../probes/probe-book.ts';
import type { ProbeView } from '../probes/probe-view.ts';
import { agentNetworkOf, type AgentNetwork } from './agent-network.ts';
import type { AgentState, ClusterSnapshot, DepartedNode, NodeState } from './cluster-snapshot.ts';
import { createPeerChangeLog, type PeerChange } from './peer-change-log.ts';
import { pathStateDigest } from './path-state-digest.ts';
import { peerFingerprint, peerOf } from './peer-set.ts';
import { createPeerSetPublisher, type PeerSetUpdate } from './peer-set-publisher.ts';

export type { AgentNetwork } from './agent-network.ts';
export type { AgentState, ClusterSnapshot, DepartedNode, NodeState } from './cluster-snapshot.ts';
export type { PeerSetUpdate } from './peer-set-publisher.ts';

export interface AgentKey {
  node: string;
  network: AgentNetwork;
}

export interface ClusterModel {
  /**
   * Called after the ingest validated the hello; a second agent for the same key replaces
   * the first. `restarted`: a new agent process (another instance id than the last hello).
   * On a restart, or a return after a disconnect, probe attempts toward the agent from
   * before are discarded (its responder may have been down).
   */
  agentConnected(hello: Hello, info: { connectionId: string; peerAddress: string }): { replaced: boolean; restarted: boolean };
  /** Ignored when connectionId is not the key's current connection (a replaced stream closing late). */
  agentDisconnected(key: AgentKey, connectionId: string): void;
  agentReport(key: AgentKey, report: NodeReport): void;
  agentHeartbeat(key: AgentKey): void;
  /**
   * Probe evidence on paths from or to these nodes restarts at this moment (a change point, see
   * ProbeStore.changePoint). Called by the model itself when a host report changes the
   * node's path state.
   */
  changePoint(nodes: Iterable<string>): void;
  /** A root cause on these nodes resolved: their probe failures measured before now no longer count (ProbeStore.repairPoint). Called by the findings engine. */
  repairPoint(nodes: Iterable<string>): void;
  /**
   * Folds a validated probe batch into the probe store; counts as liveness. Does not notify
   * state listeners (batches are frequent): the findings engine's tick picks them up.
   */
  agentProbeBatch(key: AgentKey, batch: ProbeBatch): void;
  /**
   * Every other node's agents the key's agent probes; generation = membershipGeneration.
   * Host agents get host peers (underlay) and pod peers (over the overlay); pod agents get pod peers.
   */
  peerSetFor(key: AgentKey): PeerSet;
  /**
   * The pre-encoded peer-set message for the key's agent stream: a delta from `base` (the
   * generation the stream was last sent) when possible, else the full set. `staleFullOk`:
   * see PeerSetPublisher.updateFor.
   */
  peerSetUpdateFor(key: AgentKey, options: { base?: bigint; staleFullOk?: boolean }): PeerSetUpdate;
  /** Bumps when the set of nodes or any node's peer-relevant data changes. */
  readonly membershipGeneration: bigint;
  onMembershipChange(listener: () => void): () => void;
  /** Any report, connect, disconnect or expiry (not heartbeats). */
  onStateChange(listener: () => void): () => void;
  snapshot(): ClusterSnapshot;
  /** Probe results discarded because their destination agent had restarted. */
  readonly discardedProbeResults: number;
  /** Forgets agents that are disconnected and silent longer than nodeExpiryMs, and nodes left without agents. */
  expire(): void;
  /** O(1), for the ingest's budgets. */
  hasAgent(key: AgentKey): boolean;
  readonly nodeCount: number;
  /**
   * The node left the cluster: out of every peer set at once, its probe state forgotten, and
   * listed in `snapshot().departed` (for the node expiry) until it says hello again.
   * False when the node is unknown or one of its agents is still connected.
   */
  nodeLeft(name: string, reason: string): boolean;
  /**
   * The membership source (PeerMembership) changed its mind about these nodes: each one whose
   * admission flipped enters or leaves every peer set at once (one generation for all).
   */
  admissionChanged(names: Iterable<string>): void;
}

/**
 * Who may be a peer at all. Without it every node an agent describes is one; with the
 * Kubernetes API on, only nodes the API lists (kubernetes/peer-membership.ts): the peer set is
 * the Nodes joined with the agents' self-descriptions.
 */
export interface PeerMembership {
  admits(name: string): boolean;
}

/** Departed nodes remembered at most (a whole node pool replaced at once fits). */
const maxDeparted = 10_000;

interface MutableNode {
  name: string;
  /** As of the last membership decision (PeerMembership.admits), so a change is a diff. */
  admitted: boolean;
  host?: AgentState;
  pod?: AgentState;
}

// Hellos are validated (host or pod) before they reach the model.
const networkOf = (hello: Hello): AgentNetwork => agentNetworkOf(hello.network) ?? 'host';

export function createClusterModel(deps: { now: () => number; nodeExpiryMs: number; membership?: PeerMembership }): ClusterModel {
  const { now, nodeExpiryMs } = deps;
  const admits = (name: string): boolean => deps.membership?.admits(name) ?? true;
  const nodes = new Map<string, MutableNode>();
  const departed = new Map<string, DepartedNode>();
  let departedList: readonly DepartedNode[] | undefined;
  const membershipListeners = new Set<() => void>();
  const stateListeners = new Set<() => void>();
  let generation = 0n;
  let version = 0;
  let cachedNodes: { version: number; nodes: readonly NodeState[] } | undefined;
  // Enough changes that any base a delta could beat a full set from is still covered.
  const changeLog = createPeerChangeLog({ maxEntries: () => Math.max(4096, 4 * nodes.size) });
  const probes = createProbeBook({ isKnownNode: (name) => nodes.has(name) });

  const freezeNode = (node: MutableNode): NodeState =>
    Object.freeze({ name: node.name, ...(node.host ? { hostAgent: node.host } : {}), ...(node.pod ? { podAgent: node.pod } : {}) });

  const sortedNodes = (): readonly NodeState[] => {
    if (cachedNodes?.version === version) return cachedNodes.nodes;
    const list = Object.freeze([...nodes.values()].map(freezeNode).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    cachedNodes = { version, nodes: list };
    return list;
  };

  type Fingerprints = Record<AgentNetwork, string | undefined>;
  const fingerprints = (node: MutableNode | undefined): Fingerprints => {
    if (!node?.admitted) return { host: undefined, pod: undefined };
    const frozen = freezeNode(node);
    return { host: peerFingerprint(frozen, 'host'), pod: peerFingerprint(frozen, 'pod') };
  };
  /** The peers of `name` whose entry differs between two fingerprints. */
  const changesOf = (name: string, before: Fingerprints, after: Fingerprints): PeerChange[] =>
    (['host', 'pod'] as const).filter((network) => before[network] !== after[network]).map((network) => ({ node: name, network }));

  const notify = (listeners: Set<() => void>): void => {
    for (const listener of [...listeners]) listener();
  };
  const membershipChanged = (changes: readonly PeerChange[]): void => {
    generation += 1n;
    changeLog.record(generation, changes);
    notify(membershipListeners);
  };

  const publisher = createPeerSetPublisher({
    generation: () => generation,
    log: changeLog,
    peerOf: (name, network) => {
      const node = nodes.get(name);
      return node?.admitted ? peerOf(freezeNode(node), network) : undefined;
    },
    nodeNames: () => nodes.keys(),
  });

  // Agent states are frozen records replaced on every change, so snapshots can share them.
  const update = (key: AgentKey, change: (agent: AgentState) => Partial<AgentState> | undefined): boolean => {
    const node = nodes.get(key.node);
    const agent = key.network === 'host' ? node?.host : node?.pod;
    if (!node || !agent) return false;
    const patch = change(agent);
    if (!patch) return false;
    const next = Object.freeze({ ...agent, ...patch });
    if (key.network === 'host') node.host = next;
    else node.pod = next;
    version += 1;
    return true;
  };

  const changePoint = (names: Iterable<string>, at: number): void => {
    const known = new Set([...names].filter((name) => nodes.has(name)));
    if (known.size === 0) return;
    probes.changePoint(known, at);
  };

  return {
    changePoint: (names) => changePoint(names, now()),

    repairPoint(names) {
      const at = now();
      const known = new Set([...names].filter((name) => nodes.has(name)));
      if (known.size === 0) return;
      probes.repairPoint(known, at);
    },

    agentConnected(hello, info) {
      const network = networkOf(hello);
      const at = now();
      const existing = nodes.get(hello.nodeName);
      if (departed.delete(hello.nodeName)) departedList = undefined;
      const before = fingerprints(existing);
      const node: MutableNode = existing ?? { name: hello.nodeName, admitted: false };
      node.admitted = admits(node.name);
      const previous = network === 'host' ? node.host : node.pod;
      const replaced = previous !== undefined && previous.connected && previous.connectionId !== info.connectionId;
      // A new process (instance ids differ; empty = an agent too old to say), or the same
      // one back after a gap: either way its responder may have been down meanwhile.
      const newInstance =
        previous !== undefined &&
        hello.instanceId !== '' &&
        previous.hello.instanceId !== '' &&
        hello.instanceId !== previous.hello.instanceId;
      const restarted = previous !== undefined && (newInstance || !previous.connected);
      if (restarted) {
        probes.agentRestarted(hello.nodeName, network, at);
        // A host agent that answers for the node's pod network (no pod agent): that responder restarted too.
        if (network === 'host' && !node.pod && (hello.podProbeAddress || previous.hello.podProbeAddress))
          probes.agentRestarted(hello.nodeName, 'pod', at);
      }
      const agent: AgentState = Object.freeze({
        network,
        connected: true,
        connectionId: info.connectionId,
        peerAddress: info.peerAddress,
        connectedSinceMs: at,
        lastSeenMs: at,
        hello,
        restarts: (previous?.restarts ?? 0) + (newInstance ? 1 : 0),
        ...(newInstance ? { restartedAtMs: at } : previous?.restartedAtMs !== undefined ? { restartedAtMs: previous.restartedAtMs } : {}),
        // The last report stays until the agent sends a fresh one, so findings do not flap on reconnect.
        ...(previous?.report ? { report: previous.report, lastReportMs: previous.lastReportMs } : {}),
      });
      if (network === 'host') node.host = agent;
      else node.pod = agent;
      nodes.set(node.name, node);
      version += 1;
      const changes = changesOf(node.name, before, fingerprints(node));
      if (changes.length > 0) membershipChanged(changes);
      notify(stateListeners);
      return { replaced, restarted: newInstance };
    },

    agentDisconnected(key, connectionId) {
      const changed = update(key, (agent) =>
        agent.connectionId === connectionId && agent.connected ? { connected: false, disconnectedAtMs: now() } : undefined,
      );
      if (changed) notify(stateListeners);
    },

    agentReport(key, report) {
      const at = now();
      const previous = key.network === 'host' ? nodes.get(key.node)?.host?.report : undefined;
      if (previous && pathStateDigest(previous) !== pathStateDigest(report)) changePoint([key.node], at);
      const patch = (agent: AgentState): Partial<AgentState> => ({
        report,
        lastReportMs: at,
        lastSeenMs: at,
        ...(agent.report?.conntrack ? { previousConntrack: agent.report.conntrack } : {}),
      });
      if (update(key, patch)) notify(stateListeners);
    },

    agentHeartbeat(key) {
      const at = now();
      update(key, () => ({ lastSeenMs: at }));
    },

    agentProbeBatch(key, batch) {
      const at = now();
      // A batch the agent held while the collector was unreachable is dated back (bounded by
      // the retention), so old results never pass for fresh ones.
      if (update(key, () => ({ lastSeenMs: at }))) probes.ingest(key, batch, at - Math.min(batch.heldMs, probes.retentionMs), at);
    },

    peerSetFor(key) {
      return create(PeerSetSchema, { generation, peers: publisher.peersFor(key.node, key.network) });
    },

    peerSetUpdateFor(key, options) {
      return publisher.updateFor(key.node, key.network, options);
    },

    get discardedProbeResults() {
      return probes.discardedResults;
    },

    get membershipGeneration() {
      return generation;
    },

    onMembershipChange(listener) {
      membershipListeners.add(listener);
      return () => membershipListeners.delete(listener);
    },

    onStateChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },

    snapshot() {
      const at = now();
      const nodeList = sortedNodes();
      // The probe view is O(fresh paths) to build: only when a reader asks (once per snapshot).
      let view: ProbeView | undefined;
      departedList ??= Object.freeze([...departed.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
      return Object.freeze({
        nowMs: at,
        nodes: nodeList,
        departed: departedList,
        get probes() {
          return (view ??= probes.view(at));
        },
      });
    },

    hasAgent(key) {
      const node = nodes.get(key.node);
      return (key.network === 'host' ? node?.host : node?.pod) !== undefined;
    },

    get nodeCount() {
      return nodes.size;
    },

    expire() {
      const cutoff = now() - nodeExpiryMs;
      for (const [name, node] of departed) {
        if (node.leftAtMs >= cutoff) continue;
        departed.delete(name);
        departedList = undefined;
      }
      const stale = (agent: AgentState | undefined): boolean => agent !== undefined && !agent.connected && agent.lastSeenMs < cutoff;
      const changes: PeerChange[] = [];
      for (const node of [...nodes.values()]) {
        if (!stale(node.host) && !stale(node.pod)) continue;
        const before = fingerprints(node);
        if (stale(node.host)) {
          delete node.host;
          probes.agentGone(node.name, 'host', cutoff + nodeExpiryMs);
        }
        if (stale(node.pod)) {
          delete node.pod;
          probes.agentGone(node.name, 'pod', cutoff + nodeExpiryMs);
        }
        if (!node.host && !node.pod) nodes.delete(node.name);
        changes.push(...changesOf(node.name, before, fingerprints(node)));
      }
      if (changes.length === 0) return;
      version += 1;
      membershipChanged(changes);
      notify(stateListeners);
    },

    nodeLeft(name, reason) {
      const node = nodes.get(name);
      if (!node || node.host?.connected || node.pod?.connected) return false;
      const at = now();
      const before = fingerprints(node);
      for (const network of ['host', 'pod'] as const) {
        if (!(network === 'host' ? node.host : node.pod)) continue;
        probes.agentGone(name, network, at);
      }
      nodes.delete(name);
      departed.delete(name);
      departed.set(name, Object.freeze({ name, leftAtMs: at, reason }));
      // The oldest entries go first (a Map iterates in insertion order).
      for (const oldest of departed.keys()) {
        if (departed.size <= maxDeparted) break;
        departed.delete(oldest);
      }
      departedList = undefined;
      version += 1;
      membershipChanged(changesOf(name, before, fingerprints(undefined)));
      notify(stateListeners);
      return true;
    },

    admissionChanged(names) {
      const changes: PeerChange[] = [];
      for (const name of names) {
        const node = nodes.get(name);
        if (!node || node.admitted === admits(name)) continue;
        const before = fingerprints(node);
        node.admitted = !node.admitted;
        changes.push(...changesOf(name, before, fingerprints(node)));
      }
      if (changes.length > 0) membershipChanged(changes);
    },
  };
}
