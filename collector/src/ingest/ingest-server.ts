// gRPC ingest: one Connect stream per agent. Hellos are validated before they touch the
// model; peer sets are pushed (debounced) whenever membership changes: the first one on a
// stream in full, later ones as deltas from the generation the stream was last sent (to
// agents whose hello accepts deltas; others get full sets).
import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  ConnectResponseSchema,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, PartCountSchema } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { partCounts } from '../model/overlay-counts.ts';
import type { ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import type { TargetBatch, TargetSet } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { version } from '../../../shared/src/version.ts';
import { collectorServiceDefinition, maxMessageBytes, requestBytes } from '../../../shared/src/wire.ts';
import type { AgentKey, ClusterModel } from '../model/cluster-model.ts';
import type { IngestTransport } from './ingest-transport.ts';
import { createIngestBudgets, type BudgetLimitsOptions, type BudgetName } from './ingest-budgets.ts';
import type { IngestLag, StreamClock } from './ingest-lag.ts';
import { createIngestPacer } from './ingest-pacer.ts';
import { createStreamLimits } from './stream-limits.ts';
import { transportErrorInterceptor } from './transport-errors.ts';
import { agentNetworkOf, type AgentNetwork } from '../model/agent-network.ts';
import { validateHello } from './validate-hello.ts';
import { maxProbeReceipts, validateProbeBatch } from './validate-probe-batch.ts';
import { validateNodeReport } from './validate-report.ts';

export interface IngestMetrics {
  streamError(reason: string): void;
  agentConnected(network: 'host' | 'pod'): void;
  agentRestarted(network: 'host' | 'pod'): void;
  messageReceived(type: string): void;
  observeProbeBatch(batch: ProbeBatch, sourceNetwork: 'host' | 'pod'): void;
  /** Bytes of one peer-set message written to a stream (optional: test doubles may omit it). */
  peerSetSent?(kind: 'full' | 'delta', bytes: number): void;
  /** A global budget refused a hello or report, or dropped the excess of a message (optional for test doubles). */
  budgetExceeded?(budget: BudgetName): void;
}

export interface IngestServerOptions {
  model: ClusterModel;
  metrics: IngestMetrics;
  logger: Logger;
  heartbeatIntervalSeconds: number;
  reportIntervalSeconds: number;
  /** Membership changes arrive in bursts (a rollout); one push per burst. */
  peerSetDebounceMs: number;
  /**
   * Peer-set bytes written to streams and not yet handed to their sockets, all streams
   * together (default 64 MiB). Past it, a stream's full set or delta waits for a later wave:
   * during a connect storm at thousands of nodes, slow readers could otherwise make the
   * collector hold one ~0.7 MB full set per stream.
   */
  maxPeerSetBytesInFlight?: number;
  /**
   * Milliseconds of agent messages folded per event-loop turn before the streams that deliver
   * more are paused until the next turn (ingest-pacer.ts; default 50, 0 = off): a collector
   * behind its input keeps running its findings passes, peer-set waves and /metrics.
   */
  ingestTurnBudgetMs?: number;
  /** A stream that has not said hello by then is closed. */
  helloTimeoutMs: number;
  /** TLS, token check, keepalive, connection age (ingest-transport.ts); absent = plaintext, no auth. */
  transport?: IngestTransport;
  /** gRPC receive-size limit per message, bytes (default maxMessageBytes, 1 MiB). */
  maxReceiveBytes?: number;
  /** Open streams in total / per peer address, and messages per second per stream (0 = off). */
  maxStreams?: number;
  maxStreamsPerPeer?: number;
  messagesPerSecond?: number;
  /** Fed with every heartbeat's send time: how late the collector reads its agents (ingest-lag.ts). */
  ingestLag?: IngestLag;
  /** Global budgets (ingest-budgets.ts); absent or 0 = no cap. */
  budgets?: Partial<BudgetLimitsOptions>;
  /**
   * Node identity (kubernetes/hello-authorizer.ts): a refusal for a hello whose node the stream
   * may not speak for, sent as PERMISSION_DENIED; the authorizer logs and counts it itself.
   */
  authorizeHello?: (hello: Hello, metadata: grpc.Metadata, peer: string) => string | undefined;
  /**
   * Targets for pod agents (collector/src/targets/): the set is sent after the welcome and
   * again on every change; a batch is stored or refused (a returned problem closes the stream).
   */
  targets?: {
    current(): TargetSet;
    onChange(listener: () => void): () => void;
    ingest(node: string, instanceId: string, batch: TargetBatch): string | undefined;
  };
}

export interface IngestServer {
  /** Binds and starts serving; resolves to the bound port. */
  listen(host: string, port: number): Promise<number>;
  /** Stops accepting streams, ends the open ones, and waits up to graceMs. */
  shutdown(graceMs: number): Promise<void>;
  connectedStreams(): number;
  /** Peer-set bytes written and not yet handed to sockets (bounded by maxPeerSetBytesInFlight). */
  peerSetBytesInFlight(): number;
}

type Call = grpc.ServerDuplexStream<ConnectRequest, ConnectResponse>;

interface AgentStream {
  readonly id: string;
  readonly key: AgentKey;
  readonly call: Call;
  readonly acceptsDeltas: boolean;
  /** A pod agent, or a host agent answering for its node's pod network (hello.pod_probe_address): it probes the targets. */
  readonly probesTargets: boolean;
  readonly instanceId: string;
  /** The generation of the last peer set or delta written to this stream; -1 = none yet. */
  sentGeneration: bigint;
  /** This stream's heartbeat clock offset, for the ingest lag. */
  readonly clock: StreamClock;
  /** Peer-set bytes written to this stream whose write has not completed. */
  peerSetBytesInFlight: number;
}

/** Default of IngestServerOptions.maxPeerSetBytesInFlight. */
export const defaultMaxPeerSetBytesInFlight = 64 * 2 ** 20;

/** Problem peers kept per report: agents send at most 100 (agent/src/node-state/bounded-problems.ts). */
export const maxStoredProblemPeers = 100;

// validateHello admits host and pod only.
const networkName = (network: Network): AgentNetwork => agentNetworkOf(network) ?? 'host';

/**
 * How long the next peer-set wave waits. At least the debounce; at least 3× the last wave's
 * duration, so waves cannot starve the ingest during a connect storm (each new stream still
 * gets its full set at once, with its welcome); and at least 0.25 ms per open stream (1 s at
 * 4,000 agents, 2.5 s at 10,000): a wave is a message per stream, so during a rollout of
 * thousands of agents each join would otherwise fan out to every agent already connected,
 * several times a second. Deltas are cumulative from each stream's base, so fewer waves carry
 * the same changes in fewer messages. A stream still sending an earlier peer message (its
 * agent reads slower than membership changes) is skipped and gets everything it missed as one
 * delta in a later wave: never more than one peer message per stream behind flow control, and
 * never more than maxPeerSetBytesInFlight in all.
 */
export function peerSetWaveDelayMs(at: { debounceMs: number; lastWaveMs: number; streams: number }): number {
  return Math.max(at.debounceMs, 3 * at.lastWaveMs, 0.25 * at.streams);
}

export function createIngestServer(options: IngestServerOptions): IngestServer {
  const { model, metrics, logger } = options;
  const log = logger.child({ component: 'ingest' });
  const streams = new Map<string, AgentStream>();
  // The stream of each node and network: a second hello for it replaces the first (O(1) per hello, not O(streams)).
  const byAgent = new Map<string, AgentStream>();
  const agentId = (key: AgentKey): string => `${key.network}|${key.node}`;
  const limits = createStreamLimits({
    maxStreams: options.maxStreams ?? 0,
    maxStreamsPerPeer: options.maxStreamsPerPeer ?? 0,
    messagesPerSecond: options.messagesPerSecond ?? 0,
  });
  const budgets = createIngestBudgets({
    maxNodes: options.budgets?.maxNodes ?? 0,
    hellosPerSecond: options.budgets?.hellosPerSecond ?? 0,
    maxReportBytes: options.budgets?.maxReportBytes ?? 0,
    logger,
    exceeded: (budget) => metrics.budgetExceeded?.(budget),
    stillStored: (id) => {
      const [network, ...node] = id.split('|');
      return model.hasAgent({ node: node.join('|'), network: network === 'pod' ? 'pod' : 'host' });
    },
  });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': options.maxReceiveBytes ?? maxMessageBytes,
    'grpc.max_send_message_length': 16 * maxMessageBytes,
    // Keepalive and connection age: shared/src/keepalive.ts.
    ...options.transport?.serverOptions,
    interceptors: [
      // The token check first: an unauthenticated stream is refused before anything else is read.
      ...(options.transport?.interceptors ?? []),
      transportErrorInterceptor((reason, peer, details) => {
        metrics.streamError(reason);
        log.warn({ peer, reason, details: details.slice(0, 200) }, 'refused agent stream');
      }),
    ],
  });

  const send = (stream: AgentStream, message: ConnectResponse): void => {
    if (!stream.call.writable) return;
    stream.call.write(message);
  };

  const pacer = createIngestPacer({ turnBudgetMs: options.ingestTurnBudgetMs ?? 50 });
  const maxInFlight = options.maxPeerSetBytesInFlight ?? defaultMaxPeerSetBytesInFlight;
  let peerSetBytesInFlight = 0;
  const peerSetDone = (stream: AgentStream, bytes: number): void => {
    const done = Math.min(bytes, stream.peerSetBytesInFlight);
    stream.peerSetBytesInFlight -= done;
    peerSetBytesInFlight -= done;
  };
  /** Room for one more peer message: under the budget (one message may overshoot it, so a set larger than the budget still goes). */
  const peerSetRoom = (): boolean => peerSetBytesInFlight < maxInFlight;

  let pushTimer: NodeJS.Timeout | undefined;
  const pushPeerSet = (stream: AgentStream): void => {
    const update = model.peerSetUpdateFor(stream.key, {
      // The first peer message on a stream is always a full set.
      ...(stream.acceptsDeltas && stream.sentGeneration >= 0n ? { base: stream.sentGeneration } : {}),
      // A pending wave brings this stream up to date: during a connect storm the full set
      // is then concatenated once per wave, not once per hello.
      staleFullOk: pushTimer !== undefined && stream.acceptsDeltas,
    });
    stream.sentGeneration = update.generation;
    metrics.peerSetSent?.(update.kind, update.bytes);
    if (!stream.call.writable) return;
    stream.peerSetBytesInFlight += update.bytes;
    peerSetBytesInFlight += update.bytes;
    // Called once the bytes are handed to the socket; a stream cancelled first never calls it (closed() settles it).
    stream.call.write(update.message, () => peerSetDone(stream, update.bytes));
  };

  // Wave spacing and skipping: peerSetWaveDelayMs.
  let lastWaveMs = 0;
  const scheduleWave = (): void => {
    if (pushTimer) return;
    pushTimer = setTimeout(
      () => {
        pushTimer = undefined;
        const started = performance.now();
        let behind = 0;
        for (const stream of streams.values()) {
          if (stream.sentGeneration === model.membershipGeneration) continue;
          // Out of budget: this stream and the rest wait for the next wave.
          if (!peerSetRoom()) {
            behind++;
            break;
          }
          if (stream.call.writableLength > 0) behind++;
          else pushPeerSet(stream);
        }
        lastWaveMs = performance.now() - started;
        if (behind > 0) scheduleWave();
      },
      peerSetWaveDelayMs({ debounceMs: options.peerSetDebounceMs, lastWaveMs, streams: streams.size }),
    );
  };
  const unsubscribe = model.onMembershipChange(scheduleWave);
  const sendTargetSet = (stream: AgentStream): void => {
    if (options.targets && stream.probesTargets)
      send(stream, create(ConnectResponseSchema, { payload: { case: 'targetSet', value: options.targets.current() } }));
  };
  const unsubscribeTargets = options.targets?.onChange(() => {
    for (const stream of streams.values()) sendTargetSet(stream);
  });

  // Calls this server ended itself: their 'error' event is not a stream failure.
  const refusedCalls = new WeakSet<Call>();
  const refuse = (call: Call, code: grpc.status, reason: string, details: string, loggedAlready = false): void => {
    if (refusedCalls.has(call)) return;
    refusedCalls.add(call);
    metrics.streamError(reason);
    if (!loggedAlready) log.warn({ peer: call.getPeer(), reason, details }, 'refused agent stream');
    call.emit('error', { code, details });
  };

  const handleConnect = (call: Call): void => {
    const id = randomUUID();
    let stream: AgentStream | undefined;
    const ticket = limits.admit(call.getPeer());
    if ('refused' in ticket) {
      refuse(call, grpc.status.RESOURCE_EXHAUSTED, 'too_many_streams', ticket.refused);
      return;
    }
    const helloTimer = setTimeout(() => {
      if (!stream) refuse(call, grpc.status.DEADLINE_EXCEEDED, 'hello_timeout', `no hello within ${options.helloTimeoutMs} ms`);
    }, options.helloTimeoutMs);

    const onHello = (message: ConnectRequest & { payload: { case: 'hello' } }): void => {
      const hello = message.payload.value;
      const problem = validateHello(hello);
      if (problem) return refuse(call, grpc.status.INVALID_ARGUMENT, 'invalid_hello', problem);
      // Identity first: a hello that may not speak for its node never spends a budget.
      const denied = options.authorizeHello?.(hello, call.metadata, call.getPeer());
      if (denied) return refuse(call, grpc.status.PERMISSION_DENIED, 'permission_denied', denied, true);
      const knownNode =
        model.hasAgent({ node: hello.nodeName, network: 'host' }) || model.hasAgent({ node: hello.nodeName, network: 'pod' });
      const overBudget = budgets.admitHello(call.getPeer(), hello.nodeName, knownNode, model.nodeCount);
      if (overBudget) return refuse(call, grpc.status.RESOURCE_EXHAUSTED, 'over_budget', overBudget, true);
      clearTimeout(helloTimer);
      const key: AgentKey = { node: hello.nodeName, network: networkName(hello.network) };
      const other = byAgent.get(agentId(key));
      if (other) {
        log.warn(
          { node: key.node, network: key.network, previousPeer: other.call.getPeer(), peer: call.getPeer() },
          'a second agent claimed this node; replacing the first',
        );
        streams.delete(other.id);
        byAgent.delete(agentId(key));
        peerSetDone(other, other.peerSetBytesInFlight);
        refusedCalls.add(other.call);
        metrics.streamError('replaced');
        other.call.emit('error', { code: grpc.status.ABORTED, details: 'replaced by a newer connection for the same node and network' });
      }
      stream = {
        id,
        key,
        call,
        acceptsDeltas: hello.acceptsPeerSetDeltas,
        probesTargets: key.network === 'pod' || hello.podProbeAddress !== '',
        instanceId: hello.instanceId,
        sentGeneration: -1n,
        clock: {},
        peerSetBytesInFlight: 0,
      };
      streams.set(id, stream);
      byAgent.set(agentId(key), stream);
      const { restarted } = model.agentConnected(hello, { connectionId: id, peerAddress: call.getPeer() });
      metrics.agentConnected(key.network);
      const startedAt = hello.startedAtUnixMs > 0n ? new Date(Number(hello.startedAtUnixMs)).toISOString() : undefined;
      if (restarted) {
        metrics.agentRestarted(key.network);
        log.warn(
          { node: key.node, network: key.network, peer: call.getPeer(), instanceId: hello.instanceId, startedAt },
          'agent restarted',
        );
      }
      log.info(
        { node: key.node, network: key.network, peer: call.getPeer(), agentVersion: hello.agentVersion, instanceId: hello.instanceId },
        'agent connected',
      );
      send(
        stream,
        create(ConnectResponseSchema, {
          payload: {
            case: 'welcome',
            value: {
              collectorVersion: version,
              heartbeatIntervalSeconds: options.heartbeatIntervalSeconds,
              reportIntervalSeconds: options.reportIntervalSeconds,
            },
          },
        }),
      );
      // Over the in-flight budget the full set follows in a wave, once earlier sets are out.
      if (peerSetRoom()) pushPeerSet(stream);
      else scheduleWave();
      sendTargetSet(stream);
    };

    const onMessage = (message: ConnectRequest): void => {
      if (refusedCalls.has(call)) return;
      metrics.messageReceived(message.payload.case ?? 'empty');
      if (!ticket.takeMessage()) {
        return refuse(
          call,
          grpc.status.RESOURCE_EXHAUSTED,
          'rate_limited',
          `more than ${options.messagesPerSecond} messages per second (sustained) on one agent stream`,
        );
      }
      if (message.payload.case === 'hello') {
        if (stream) return refuse(call, grpc.status.FAILED_PRECONDITION, 'duplicate_hello', 'hello was already sent on this stream');
        return onHello(message as ConnectRequest & { payload: { case: 'hello' } });
      }
      if (!stream)
        return refuse(
          call,
          grpc.status.FAILED_PRECONDITION,
          'no_hello',
          `the first message must be a hello, got ${message.payload.case ?? 'an empty message'}`,
        );
      switch (message.payload.case) {
        case 'nodeReport': {
          const problem = validateNodeReport(message.payload.value);
          if (problem) return refuse(call, grpc.status.INVALID_ARGUMENT, 'invalid_report', problem);
          const overlay = message.payload.value.overlay;
          let bytes = requestBytes.get(message) ?? 0;
          if (overlay && overlay.problems.length > maxStoredProblemPeers) {
            bytes = Math.ceil((bytes * maxStoredProblemPeers) / overlay.problems.length);
            // Older agents list every peer: keep the first ones and the counts, drop the rest.
            if (overlay.partCounts.length === 0) overlay.partCounts = partCounts(overlay).map((c) => create(PartCountSchema, c));
            budgets.dropped(
              call.getPeer(),
              'report_peers',
              `${overlay.problems.length - maxStoredProblemPeers} of ${overlay.problems.length} problem peers in a report from ${stream.key.node} dropped (the first ${maxStoredProblemPeers} and the counts are kept)`,
            );
            overlay.problems = overlay.problems.slice(0, maxStoredProblemPeers);
          }
          // Over the report budget: this report is dropped (the previous one stays), the stream stays.
          if (budgets.admitReport(call.getPeer(), agentId(stream.key), bytes)) return;
          model.agentReport(stream.key, message.payload.value);
          return;
        }
        case 'heartbeat':
          options.ingestLag?.heartbeat(stream.clock, Number(message.payload.value.sentAtUnixMs));
          model.agentHeartbeat(stream.key);
          return;
        case 'probeBatch': {
          // Receipts count what others sent this agent: it cannot control how many, so the
          // excess is dropped and counted, never a reason to close its stream.
          const receipts = message.payload.value.receipts;
          if (receipts.length > maxProbeReceipts) {
            budgets.dropped(
              call.getPeer(),
              'probe_receipts',
              `${receipts.length - maxProbeReceipts} of ${receipts.length} probe receipts from ${stream.key.node} dropped (at most ${maxProbeReceipts} per batch)`,
            );
            receipts.length = maxProbeReceipts;
          }
          const problem = validateProbeBatch(message.payload.value);
          if (problem) return refuse(call, grpc.status.INVALID_ARGUMENT, 'invalid_probe_batch', problem);
          model.agentProbeBatch(stream.key, message.payload.value);
          metrics.observeProbeBatch(message.payload.value, stream.key.network);
          return;
        }
        case 'targetBatch': {
          if (!options.targets || !stream.probesTargets) return;
          const problem = options.targets.ingest(stream.key.node, stream.instanceId, message.payload.value);
          if (problem) return refuse(call, grpc.status.INVALID_ARGUMENT, 'invalid_target_batch', problem);
          return;
        }
        default:
          return refuse(call, grpc.status.INVALID_ARGUMENT, 'empty_message', 'message has no payload');
      }
    };
    call.on('data', (message: ConnectRequest) => pacer.run(call, () => onMessage(message)));

    const closed = (): void => {
      clearTimeout(helloTimer);
      ticket.release();
      if (!stream || !streams.has(stream.id)) return;
      peerSetDone(stream, stream.peerSetBytesInFlight);
      streams.delete(stream.id);
      if (byAgent.get(agentId(stream.key)) === stream) byAgent.delete(agentId(stream.key));
      model.agentDisconnected(stream.key, stream.id);
      log.info({ node: stream.key.node, network: stream.key.network }, 'agent disconnected');
    };
    call.on('end', () => {
      closed();
      call.end();
    });
    call.on('cancelled', closed);
    call.on('close', closed);
    call.on('error', (err: Error) => {
      if (!refusedCalls.has(call)) {
        metrics.streamError('stream_error');
        log.debug({ err }, 'agent stream error');
      }
      closed();
    });
  };

  server.addService(collectorServiceDefinition, { connect: handleConnect });

  return {
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        server.bindAsync(target, options.transport?.credentials ?? grpc.ServerCredentials.createInsecure(), (err, bound) =>
          err ? reject(err) : resolve(bound),
        );
      }),
    shutdown: async (graceMs) => {
      unsubscribe();
      unsubscribeTargets?.();
      if (pushTimer) clearTimeout(pushTimer);
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        for (const stream of streams.values()) stream.call.end();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
    connectedStreams: () => streams.size,
    peerSetBytesInFlight: () => peerSetBytesInFlight,
  };
}
