// Soft state of the probe mesh: for every agent, the recent attempts per path (destination
// node × destination network × protocol × size class), what its responder received per
// source, its DNS probes and its event-loop delay. Bounded: attempts per path are a short
// ring pruned to the retention, paths only toward known nodes, and an agent's stale paths
// are dropped when it sends its next batch. Ingest is O(batch size).
// When a destination's agent restarts (or comes back after a disconnect), the attempts
// toward it made while its responder was down must not count against the path: the store
// records a per-destination cut-off (O(1)); older attempts are skipped on ingest and by
// the view, and age out with the retention.
import { ProbeProtocol, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { Network } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { agentNetworkOf, type AgentNetwork } from '../model/agent-network.ts';
import { appendAttempt, dropFailures, newestAtMs, type AttemptLog } from './attempt-log.ts';
import { sampledStaleIntervals } from './path-state.ts';
import { createHealthyPaths, type HealthyPath, type HealthyPaths } from './healthy-paths.ts';

export type PathProtocol = 'udp' | 'tcp';
export type SizeClass = 'small' | 'large';

export interface PathRecord {
  readonly source: string;
  readonly sourceNetwork: AgentNetwork;
  /** destination, network, protocol and size class: the path's key within its agent. */
  readonly key: string;
  readonly destination: string;
  readonly network: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly size: SizeClass;
  /** Oldest first, dated by the collector's clock when the batch arrived (agents' clocks may be skewed); at most maxAttemptsPerPath. */
  attempts: AttemptLog;
}

export interface ReceiptEntry {
  readonly atMs: number;
  readonly requests: number;
  readonly largeRequests: number;
}

/** What `destination`'s agent on `network` received from `source`'s agent on `sourceNetwork`. */
export interface ReceiptRecord {
  readonly destination: string;
  readonly network: AgentNetwork;
  readonly source: string;
  readonly sourceNetwork: AgentNetwork;
  readonly protocol: PathProtocol;
  readonly entries: ReceiptEntry[];
}

export interface DnsRecord {
  readonly source: string;
  readonly sourceNetwork: AgentNetwork;
  readonly protocol: PathProtocol;
  resolver: string;
  readonly attempts: AttemptLog;
}

export interface AgentProbeRecord {
  readonly node: string;
  readonly network: AgentNetwork;
  lastBatchMs: number;
  /** Bumps on every batch from this agent, so views can cache per agent. */
  version: number;
  intervalSeconds: number;
  /** > 1: the agent probes a rotating sample; every peer within this many rounds. */
  sampleRounds: number;
  eventLoopDelayP99Seconds: number;
  readonly paths: Map<string, PathRecord>;
  readonly receipts: Map<string, ReceiptRecord>;
  readonly dns: Map<PathProtocol, DnsRecord>;
}

export interface ProbeStore {
  /** Returns the path records the batch added attempts to (each once). */
  ingest(key: { node: string; network: AgentNetwork }, batch: ProbeBatch, atMs: number): readonly PathRecord[];
  /** Drops everything an agent (or a whole node, without `network`) sent. */
  forget(node: string, network?: AgentNetwork): void;
  agents(): Iterable<AgentProbeRecord>;
  agent(node: string, network: AgentNetwork): AgentProbeRecord | undefined;
  /** The longest probe interval of the agents now stored (each capped at maxIntervalSeconds), seconds. */
  readonly maxIntervalSeconds: number;
  /**
   * The agent of `node` on `network` started afresh at `atMs` (restart, or back after a
   * disconnect): attempts toward it that arrive before atMs + one probe interval of their
   * source (results in flight) are discarded, and its own probe record (a previous process's) is dropped.
   */
  destinationReset(node: string, network: AgentNetwork, atMs: number): void;
  /**
   * A change point on each of `nodes` at `atMs` (its path-relevant kernel state changed, or a root
   * cause on it opened or resolved): every attempt and receipt on a path from or to the node
   * is dropped, and results from or to it arriving before atMs + one of its probe intervals
   * (rounds in flight across the change) are discarded, so its evidence restarts after the change.
   */
  changePoint(nodes: ReadonlySet<string>, atMs: number): void;
  /**
   * A root cause on each of `nodes` resolved at `atMs`: the failures on paths from or to the
   * node (and its DNS failures) are dropped, and failed results from or to it arriving before
   * atMs + one of its probe intervals (rounds in flight across the repair) are discarded — a
   * repair invalidates the failures it explained. Successes and receipts stay: when the
   * resolution is a diagnosis refined while the fault goes on (an onset MtuBlackhole giving
   * way to ProtocolBlocked), wiping them too made the detectors judge again from half the
   * evidence, open a wrong root cause, resolve it and wipe again, round after round.
   */
  repairPoint(nodes: ReadonlySet<string>, atMs: number): void;
  /** Results toward this destination that arrive earlier than this are discarded by the slowest source (0 = none are). */
  notBefore(node: string, network: AgentNetwork): number;
  /** Probe results discarded because their destination agent had restarted, since start. */
  readonly discardedResults: number;
  /** Bumps on every ingest or forget, so views can be cached. */
  readonly version: number;
  readonly retentionMs: number;
  /** Paths whose recent attempts all came back: no attempt log, a state kept in place (healthy-paths.ts). */
  readonly healthy: HealthyPaths;
}

export const maxAttemptsPerPath = 32;
export const pathKeyOf = (destination: string, network: AgentNetwork, protocol: PathProtocol, size: SizeClass): string =>
  `${destination}\u0000${network}\u0000${protocol}\u0000${size}`;
const maxReceiptEntries = 24;
export const defaultIntervalSeconds = 5;
/**
 * An agent's interval is its own, and capped: a batch claiming an hour can neither widen
 * another agent's window nor hold results toward a returning agent back for an hour.
 */
export const maxIntervalSeconds = 60;

/** A node's name and its 8 path keys, by slot: (host 0 | pod 4) + (tcp 2) + (large 1). */
interface TargetNames {
  readonly node: string;
  readonly keys: readonly string[];
}

const agentKey = (node: string, network: AgentNetwork): string => `${node}\u0000${network}`;

function pushBounded<T extends { atMs: number }>(list: T[], item: T, max: number, cutoffMs: number): void {
  list.push(item);
  let drop = Math.max(0, list.length - max);
  while (drop < list.length && list[drop]!.atMs < cutoffMs) drop += 1;
  if (drop > 0) list.splice(0, drop);
}

export function createProbeStore(deps: { isKnownNode: (node: string) => boolean; retentionMs?: number }): ProbeStore {
  const retentionMs = deps.retentionMs ?? 60_000;
  const agents = new Map<string, AgentProbeRecord>();
  // When each destination agent last started afresh; its sources discard what arrives within one of their intervals.
  const resets = new Map<string, number>();
  let longestInterval: { version: number; seconds: number } = { version: -1, seconds: defaultIntervalSeconds };
  // Per node: results to or from it arriving earlier than this are discarded (a change point on it).
  const sourceCutoffs = new Map<string, number>();
  // Per destination agent: the last change point's cutoff, kept (unlike sourceCutoffs) for notBefore.
  const changeCutoffs = new Map<string, number>();
  // Per node: failed results from or to it arriving earlier than this are discarded (a repair point on it).
  const failureCutoffs = new Map<string, number>();
  const oneRoundOf = (node: string, atMs: number): number => {
    // One round of the node's own agents (rounds toward it run at the same interval in a cluster).
    const own = [agents.get(agentKey(node, 'host')), agents.get(agentKey(node, 'pod'))].map((a) => a?.intervalSeconds ?? 0);
    return atMs + (Math.max(...own) || defaultIntervalSeconds) * 1000;
  };
  let discardedResults = 0;
  // One copy of each node name and path key, shared by every record toward that node (the
  // decoder makes a fresh string per result; 5,000 nodes × ~900 records would keep them all).
  const names = new Map<string, TargetNames>();
  const namesOf = (node: string): TargetNames => {
    let entry = names.get(node);
    if (!entry) {
      const keys: string[] = [];
      for (const network of ['host', 'pod'] as const)
        for (const protocol of ['udp', 'tcp'] as const)
          for (const size of ['small', 'large'] as const) keys.push(pathKeyOf(node, network, protocol, size));
      names.set(node, (entry = { node, keys }));
    }
    return entry;
  };
  let version = 0;
  const healthy = createHealthyPaths();

  const prune = (agent: AgentProbeRecord, cutoffMs: number): void => {
    for (const [key, path] of agent.paths) if (newestAtMs(path.attempts) < cutoffMs) agent.paths.delete(key);
    for (const [key, receipt] of agent.receipts) if ((receipt.entries.at(-1)?.atMs ?? 0) < cutoffMs) agent.receipts.delete(key);
    for (const [key, dns] of agent.dns) if (newestAtMs(dns.attempts) < cutoffMs) agent.dns.delete(key);
  };

  return {
    ingest(key, batch, atMs) {
      const id = agentKey(key.node, key.network);
      let agent = agents.get(id);
      if (!agent) {
        agent = {
          node: key.node,
          network: key.network,
          lastBatchMs: atMs,
          version: 0,
          intervalSeconds: defaultIntervalSeconds,
          sampleRounds: 1,
          eventLoopDelayP99Seconds: 0,
          paths: new Map(),
          receipts: new Map(),
          dns: new Map(),
        };
        agents.set(id, agent);
      }
      agent.intervalSeconds = batch.intervalSeconds > 0 ? Math.min(maxIntervalSeconds, batch.intervalSeconds) : defaultIntervalSeconds;
      agent.sampleRounds = Math.max(1, batch.sampleRounds);
      // A sampled agent's paths are judged only while fresh (path-state.ts): keeping them
      // longer would only cost memory (~k new paths per round, O(N) per agent over a sweep).
      const cutoffMs =
        atMs - (agent.sampleRounds > 1 ? Math.min(retentionMs, (sampledStaleIntervals + 1) * agent.intervalSeconds * 1000) : retentionMs);
      prune(agent, cutoffMs);
      // Its compact paths gone stale (as the view's rechecks for its logged paths run at ingest).
      healthy.expire(atMs, key.node);
      agent.lastBatchMs = atMs;
      agent.version += 1;
      agent.eventLoopDelayP99Seconds = batch.eventLoopDelayP99Seconds;
      // Results arrive nearly in order; sort only when they are not (ingest is the hot path).
      let results = batch.results;
      for (let i = 1; i < results.length; i++) {
        if (results[i - 1]!.sentAtUnixMs > results[i]!.sentAtUnixMs) {
          results = [...results].sort((a, b) => (a.sentAtUnixMs < b.sentAtUnixMs ? -1 : a.sentAtUnixMs > b.sentAtUnixMs ? 1 : 0));
          break;
        }
      }
      // Results measured across a change point on this node say nothing about after it.
      const acrossChange = atMs < (sourceCutoffs.get(key.node) ?? 0);
      if (acrossChange) {
        discardedResults += results.length + batch.pathSummaries.reduce((n, x) => n + x.sent, 0);
        results = [];
      } else sourceCutoffs.delete(key.node);
      // Failed results across a repair point on this node (checked per failed result only: the hot path stays as it was).
      const sourceFailuresBefore = failureCutoffs.get(key.node) ?? 0;
      if (sourceFailuresBefore !== 0 && atMs >= sourceFailuresBefore) failureCutoffs.delete(key.node);
      const failedAcrossRepair = (ok: boolean, target?: string): boolean =>
        !ok &&
        failureCutoffs.size > 0 &&
        (atMs < sourceFailuresBefore || (target !== undefined && atMs < (failureCutoffs.get(target) ?? 0)));
      // Per batch: the target's 8 path slots (network × protocol × size), found once per target,
      // and per network whether results toward its agent are held back (0 not yet asked, 1 held, 2 kept).
      type TargetSlots = { names: TargetNames; records: (PathRecord | undefined)[]; held: [number, number] };
      const slotsByTarget = new Map<string, TargetSlots | null>();
      const touched: PathRecord[] = [];
      // One target object per batch, rewritten by each targetFor call (read before the next one): no object per path.
      const target: { slots: TargetSlots; slot: number; network: AgentNetwork } = {
        slots: { names: { node: '', keys: [] }, records: [], held: [0, 0] },
        slot: 0,
        network: 'host',
      };
      /** Where this batch's attempts toward one path go (valid until the next call), or undefined when they are not kept (the count is added to discardedResults). */
      const targetFor = (
        targetNode: string,
        targetNetwork: Network,
        protocol: PathProtocol,
        large: boolean,
        attempts: number,
      ): typeof target | undefined => {
        const network = agentNetworkOf(targetNetwork);
        if (!network) return undefined;
        let slots = slotsByTarget.get(targetNode);
        if (slots === undefined) {
          slots =
            targetNode === key.node || !deps.isKnownNode(targetNode) ? null : { names: namesOf(targetNode), records: [], held: [0, 0] };
          slotsByTarget.set(targetNode, slots);
        }
        if (slots === null) return undefined;
        // Results toward an agent that restarted or came back, from before it was back: its responder was down.
        const n = network === 'host' ? 0 : 1;
        if (slots.held[n] === 0) {
          const resetAtMs = resets.get(agentKey(targetNode, network));
          const held =
            (resetAtMs !== undefined && atMs < resetAtMs + agent.intervalSeconds * 1000) ||
            atMs < (changeCutoffs.get(agentKey(targetNode, network)) ?? 0);
          slots.held[n] = held ? 1 : 2;
        }
        if (slots.held[n] === 1) {
          discardedResults += attempts;
          return undefined;
        }
        target.slots = slots;
        target.slot = (network === 'host' ? 0 : 4) + (protocol === 'tcp' ? 2 : 0) + (large ? 1 : 0);
        target.network = network;
        return target;
      };
      const otherAgent = agents.get(agentKey(key.node, key.network === 'host' ? 'pod' : 'host'));
      const intervalMs = agent.intervalSeconds * 1000;
      const sampled = agent.sampleRounds > 1;
      /** True when the path has an attempt log (this agent's or the node's other agent's): its attempts go there. */
      const logged = (t: NonNullable<ReturnType<typeof targetFor>>): boolean => {
        if (t.slots.records[t.slot]) return true;
        const pathKey = t.slots.names.keys[t.slot]!;
        return agent.paths.has(pathKey) || otherAgent?.paths.has(pathKey) === true;
      };
      // Rewritten per visit (the compact tier copies what it keeps): no object per path.
      const visited: { -readonly [K in keyof HealthyPath]: HealthyPath[K] } = {
        source: key.node,
        destination: '',
        key: '',
        network: 'host',
        protocol: 'udp',
        size: 'small',
      };
      /** An all-answered visit of a path without an attempt log: kept compact. */
      const visitHealthy = (
        t: NonNullable<ReturnType<typeof targetFor>>,
        protocol: PathProtocol,
        large: boolean,
        count: number,
        rtt: number,
        rttMax: number,
        sizeBytes: number,
      ): void => {
        visited.destination = t.slots.names.node;
        visited.key = t.slots.names.keys[t.slot]!;
        visited.network = t.network;
        visited.protocol = protocol;
        visited.size = large ? 'large' : 'small';
        healthy.visit(visited, atMs, count, rtt, rttMax, sizeBytes, intervalMs, sampled);
      };
      /** The attempt log this batch adds to for one path; a compact path moves here, its visits seeding the log. */
      const recordFor = (t: NonNullable<ReturnType<typeof targetFor>>, protocol: PathProtocol, large: boolean): PathRecord => {
        const { slots, slot, network } = t;
        let path = slots.records[slot];
        if (!path) {
          const pathKey = slots.names.keys[slot]!;
          path = agent.paths.get(pathKey);
          if (!path) {
            agent.paths.set(
              pathKey,
              (path = {
                source: key.node,
                sourceNetwork: key.network,
                key: pathKey,
                destination: slots.names.node,
                network,
                protocol,
                size: large ? 'large' : 'small',
                attempts: [],
              }),
            );
            const was = healthy.take(key.node, pathKey);
            if (was) {
              const log = path.attempts;
              if (was.previousCount > 0)
                for (let i = 0; i < was.previousCount; i++)
                  appendAttempt(log, was.previousMs, true, was.previousRtt, was.previousSize, maxAttemptsPerPath, cutoffMs);
              for (let i = 0; i < was.newestCount; i++)
                appendAttempt(log, was.newestMs, true, was.newestRtt, was.newestSize, maxAttemptsPerPath, cutoffMs);
            }
          }
          slots.records[slot] = path;
          touched.push(path);
        }
        return path;
      };
      const pathFor = (
        targetNode: string,
        targetNetwork: Network,
        protocol: PathProtocol,
        large: boolean,
        attempts: number,
      ): PathRecord | undefined => {
        const t = targetFor(targetNode, targetNetwork, protocol, large, attempts);
        return t && recordFor(t, protocol, large);
      };
      for (const result of results) {
        if (result.protocol === ProbeProtocol.DNS_UDP || result.protocol === ProbeProtocol.DNS_TCP) {
          if (failedAcrossRepair(result.ok)) {
            discardedResults += 1;
            continue;
          }
          const protocol: PathProtocol = result.protocol === ProbeProtocol.DNS_UDP ? 'udp' : 'tcp';
          let dns = agent.dns.get(protocol);
          if (!dns)
            agent.dns.set(
              protocol,
              (dns = { source: key.node, sourceNetwork: key.network, protocol, resolver: result.target, attempts: [] }),
            );
          dns.resolver = result.target;
          appendAttempt(dns.attempts, atMs, result.ok, result.rttSeconds, result.sizeBytes, maxAttemptsPerPath, cutoffMs);
          continue;
        }
        if (failedAcrossRepair(result.ok, result.targetNode)) {
          discardedResults += 1;
          continue;
        }
        const path = pathFor(
          result.targetNode,
          result.targetNetwork,
          result.protocol === ProbeProtocol.TCP ? 'tcp' : 'udp',
          result.large,
          1,
        );
        if (path) appendAttempt(path.attempts, atMs, result.ok, result.rttSeconds, result.sizeBytes, maxAttemptsPerPath, cutoffMs);
      }
      // Report by exception (agent/src/probe/path-summary.ts): expanded into the same attempts the per-probe
      // results would have made, the answered ones first (all of a batch's attempts share atMs,
      // so only "the newest ones failed" is an order that matters, and it is the cautious one).
      for (const summary of acrossChange ? [] : batch.pathSummaries) {
        const protocol = summary.protocol === ProbeProtocol.TCP ? 'tcp' : 'udp';
        const t = targetFor(summary.targetNode, summary.targetNetwork, protocol, summary.large, summary.sent);
        if (!t) continue;
        const answered = summary.sent - summary.lost;
        // The round's losses across a repair point are voided like failed per-probe results; its answers count.
        const lost = failedAcrossRepair(false, summary.targetNode) ? 0 : summary.lost;
        discardedResults += summary.lost - lost;
        if (lost === 0 && !logged(t)) {
          if (answered > 0)
            visitHealthy(t, protocol, summary.large, answered, summary.rttP50Seconds, summary.rttMaxSeconds, summary.sizeBytes);
          continue;
        }
        const path = recordFor(t, protocol, summary.large);
        for (let i = 0; i < answered; i++)
          appendAttempt(
            path.attempts,
            atMs,
            true,
            i === answered - 1 ? summary.rttMaxSeconds : summary.rttP50Seconds,
            summary.sizeBytes,
            maxAttemptsPerPath,
            cutoffMs,
          );
        for (let i = 0; i < lost; i++) appendAttempt(path.attempts, atMs, false, 0, summary.sizeBytes, maxAttemptsPerPath, cutoffMs);
      }
      for (const group of acrossChange ? [] : batch.coverage) {
        const ladder = [
          { protocol: 'udp' as const, large: false, count: group.udpSmall, size: group.udpSmallBytes },
          { protocol: 'udp' as const, large: true, count: group.udpLarge, size: group.udpLargeBytes },
          { protocol: 'tcp' as const, large: false, count: group.tcp, size: group.tcpBytes },
        ].filter((step) => step.count > 0);
        for (const target of group.targetNodes) {
          for (const step of ladder) {
            const t = targetFor(target, group.targetNetwork, step.protocol, step.large, step.count);
            if (!t) continue;
            if (!logged(t)) {
              visitHealthy(t, step.protocol, step.large, step.count, group.rttP50Seconds, group.rttP50Seconds, step.size);
              continue;
            }
            const path = recordFor(t, step.protocol, step.large);
            for (let i = 0; i < step.count; i++)
              appendAttempt(path.attempts, atMs, true, group.rttP50Seconds, step.size, maxAttemptsPerPath, cutoffMs);
          }
        }
      }
      healthy.flush(key.node, atMs, intervalMs, sampled);
      // Arrays grow by half plus 16 slots; a sampled path holds 3–18 numbers. Exact copies
      // keep ~100 KB per node of spare capacity out of the heap at scale.
      for (const path of touched) path.attempts = path.attempts.slice();
      for (const receipt of acrossChange ? [] : batch.receipts) {
        const sourceNetwork = agentNetworkOf(receipt.sourceNetwork);
        if (!sourceNetwork || receipt.sourceNode === key.node || !deps.isKnownNode(receipt.sourceNode)) continue;
        if (atMs < (sourceCutoffs.get(receipt.sourceNode) ?? 0)) continue;
        const protocol: PathProtocol = receipt.protocol === ProbeProtocol.TCP ? 'tcp' : 'udp';
        const receiptKey = `${receipt.sourceNode}\u0000${sourceNetwork}\u0000${protocol}`;
        let record = agent.receipts.get(receiptKey);
        if (!record)
          agent.receipts.set(
            receiptKey,
            (record = { destination: key.node, network: key.network, source: receipt.sourceNode, sourceNetwork, protocol, entries: [] }),
          );
        pushBounded(
          record.entries,
          { atMs, requests: receipt.requests, largeRequests: receipt.largeRequests },
          maxReceiptEntries,
          cutoffMs,
        );
      }
      version += 1;
      return touched;
    },

    forget(node, network) {
      if (!network) failureCutoffs.delete(node);
      // The host agent probes both networks, the pod agent the pod network: what is left comes back with the next batch.
      healthy.drop((s) => network !== 'pod' || s.network === 'pod', [node]);
      for (const n of network ? [network] : (['host', 'pod'] as const)) {
        resets.delete(agentKey(node, n));
        changeCutoffs.delete(agentKey(node, n));
        if (agents.delete(agentKey(node, n))) version += 1;
      }
      if (!agents.has(agentKey(node, 'host')) && !agents.has(agentKey(node, 'pod'))) names.delete(node);
    },

    destinationReset(node, network, atMs) {
      const key = agentKey(node, network);
      agents.delete(key);
      resets.set(key, atMs);
      healthy.drop((s) => s.destination === node && s.network === network);
      // What the others stored toward it predates its return: drop it now (O(agents), and
      // restarts are rare), bumping their versions so cached views recompute those sources.
      for (const agent of agents.values()) {
        let touched = false;
        for (const protocol of ['udp', 'tcp'] as const) {
          for (const size of ['small', 'large'] as const) {
            if (agent.paths.delete(pathKeyOf(node, network, protocol, size))) touched = true;
          }
        }
        if (touched) agent.version += 1;
      }
      version += 1;
    },

    changePoint(nodes, atMs) {
      for (const node of nodes) {
        const until = oneRoundOf(node, atMs);
        sourceCutoffs.set(node, Math.max(sourceCutoffs.get(node) ?? 0, until));
        for (const network of ['host', 'pod'] as const) {
          const key = agentKey(node, network);
          changeCutoffs.set(key, Math.max(changeCutoffs.get(key) ?? 0, until));
        }
      }
      healthy.drop((s) => nodes.has(s.source) || nodes.has(s.destination));
      // One pass over the agents however many nodes changed (a cluster-wide repair resolves many root causes at once).
      for (const agent of agents.values()) {
        let touched = false;
        if (nodes.has(agent.node)) {
          touched = agent.paths.size + agent.receipts.size + agent.dns.size > 0;
          agent.paths.clear();
          agent.receipts.clear();
          agent.dns.clear();
        } else {
          for (const [key, path] of agent.paths) {
            if (!nodes.has(path.destination)) continue;
            agent.paths.delete(key);
            touched = true;
          }
          for (const [key, receipt] of agent.receipts) {
            if (!nodes.has(receipt.source)) continue;
            agent.receipts.delete(key);
            touched = true;
          }
        }
        if (touched) agent.version += 1;
      }
      version += 1;
    },

    repairPoint(nodes, atMs) {
      for (const node of nodes) failureCutoffs.set(node, Math.max(failureCutoffs.get(node) ?? 0, oneRoundOf(node, atMs)));
      for (const agent of agents.values()) {
        let touched = false;
        const own = nodes.has(agent.node);
        for (const path of agent.paths.values()) if ((own || nodes.has(path.destination)) && dropFailures(path.attempts)) touched = true;
        if (own) for (const dns of agent.dns.values()) if (dropFailures(dns.attempts)) touched = true;
        if (touched) agent.version += 1;
      }
      version += 1;
    },

    notBefore(node, network) {
      const resetAtMs = resets.get(agentKey(node, network));
      return Math.max(
        resetAtMs === undefined ? 0 : resetAtMs + this.maxIntervalSeconds * 1000,
        changeCutoffs.get(agentKey(node, network)) ?? 0,
      );
    },
    get discardedResults() {
      return discardedResults;
    },

    agents: () => agents.values(),
    agent: (node, network) => agents.get(agentKey(node, network)),
    // Over the agents stored now, so an agent that left takes its interval with it.
    get maxIntervalSeconds() {
      if (longestInterval.version !== version) {
        let seconds = defaultIntervalSeconds;
        for (const agent of agents.values()) seconds = Math.max(seconds, agent.intervalSeconds);
        longestInterval = { version, seconds };
      }
      return longestInterval.seconds;
    },
    get version() {
      return version;
    },
    retentionMs,
    healthy,
  };
}
