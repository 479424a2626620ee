// The agent's one gRPC stream to the collector: hello first, then reports and heartbeats (at
// the interval the welcome names, for either mode);
// reconnects with jittered exponential backoff and re-sends full state after every reconnect.
// Peer sets arrive in full (first on every stream) and then as deltas; onPeerSet always gets
// the whole set. A delta that does not apply ends the stream, so the reconnect brings a full set.
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import {
  ConnectRequestSchema,
  type ConnectRequest,
  type ConnectResponse,
  type Hello,
  type PeerSet,
  type Welcome,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { TargetSet } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { connectPath, decodeResponse, encodeRequest, maxMessageBytes } from '../../../shared/src/wire.ts';
import { createBackoff } from './backoff.ts';
import { createPeerSetState, type PeerSetResult } from './peer-set-state.ts';
import { createStreamFailureReporter } from './stream-failure.ts';
import type { UplinkTransport } from './uplink-transport.ts';

export interface UplinkOptions {
  target: string;
  logger: Logger;
  /** Built fresh for every connection, so a changed node description is re-announced. */
  hello: () => Hello;
  onWelcome: (welcome: Welcome) => void;
  /** The whole current set, after a full set or an applied delta. */
  onPeerSet: (peerSet: PeerSet) => void;
  /** The targets to probe (pod agents): the whole set, after the welcome and on every change. */
  onTargetSet?: (targetSet: TargetSet) => void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  /** TLS, bearer token, keepalive (uplink-transport.ts); absent = plaintext, no token. */
  transport?: UplinkTransport;
  /** A stream not welcomed by then is abandoned and retried (the Connect stream has no per-call deadline: it is meant to live). */
  welcomeTimeoutMs?: number;
}

export interface Uplink {
  start(): void;
  /** Sends when connected and welcomed; returns false otherwise (the caller re-sends full state on reconnect). */
  send(message: ConnectRequest): boolean;
  readonly connected: boolean;
  /** Ends the current stream and connects again at once, so a new hello is sent. */
  reconnect(reason: string): void;
  stop(): Promise<void>;
}

// A stream that stayed up this long was a real connection: the next failure starts backoff afresh.
const stableAfterMs = 10_000;
/** How long stop() waits for the collector to close the call after our half-close. */
const stopGraceMs = 1_000;

export function createUplink(options: UplinkOptions): Uplink {
  const log = options.logger.child({ component: 'uplink' });
  const backoff = createBackoff({
    initialMs: options.initialBackoffMs ?? 500,
    maxMs: options.maxBackoffMs ?? 30_000,
    random: options.random,
  });
  const failures = createStreamFailureReporter(log);
  const client = new grpc.Client(options.target, options.transport?.credentials ?? grpc.credentials.createInsecure(), {
    ...options.transport?.channelOptions,
    'grpc.max_receive_message_length': 16 * maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.initial_reconnect_backoff_ms': 500,
    'grpc.max_reconnect_backoff_ms': 5_000,
  });
  let call: grpc.ClientDuplexStream<ConnectRequest, ConnectResponse> | undefined;
  let welcomed = false;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failuresSinceConnected = 0;
  let connectedAt = 0;
  // Lives across reconnects: until the new stream's full set arrives the agent keeps verifying and probing the old one.
  const peerSets = createPeerSetState();
  let peerSetResyncs = 0;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  const stopHeartbeat = (): void => {
    if (heartbeatTimer) clearInterval(heartbeatTimer);
    heartbeatTimer = undefined;
  };
  const startHeartbeat = (intervalSeconds: number): void => {
    stopHeartbeat();
    heartbeatTimer = setInterval(
      () => {
        if (call && welcomed)
          call.write(create(ConnectRequestSchema, { payload: { case: 'heartbeat', value: { sentAtUnixMs: BigInt(Date.now()) } } }));
      },
      Math.max(1, intervalSeconds) * 1000,
    );
    heartbeatTimer.unref();
  };

  const scheduleReconnect = (why: string): void => {
    if (stopped || retryTimer) return;
    const up = connectedAt > 0 && Date.now() - connectedAt > stableAfterMs;
    if (up) backoff.reset();
    connectedAt = 0;
    // A stream that lived is not a failure: the collector rotated the connection (GOAWAY at
    // its max connection age) or restarted. Reconnect at once; only failed retries count.
    if (!up) failuresSinceConnected++;
    const delay = backoff.next();
    if (up) log.info({ target: options.target, reason: why, retryInMs: delay }, 'collector closed the stream; reconnecting');
    // No spam while the collector is away: the first failure, then every power of two.
    else if ((failuresSinceConnected & (failuresSinceConnected - 1)) === 0) {
      log.warn(
        { target: options.target, reason: why, failures: failuresSinceConnected, retryInMs: delay },
        'collector stream down; retrying',
      );
    }
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      connect();
    }, delay);
  };

  const connect = (): void => {
    if (stopped) return;
    welcomed = false;
    peerSets.newStream();
    const stream = client.makeBidiStreamRequest(
      connectPath,
      encodeRequest,
      decodeResponse,
      options.transport?.metadata() ?? new grpc.Metadata(),
    );
    call = stream;
    let ended = false;
    const welcomeTimeoutMs = options.welcomeTimeoutMs ?? 15_000;
    const welcomeTimer = setTimeout(() => {
      end(`no welcome from the collector within ${welcomeTimeoutMs} ms`);
      stream.cancel();
    }, welcomeTimeoutMs);
    const end = (why: string): void => {
      clearTimeout(welcomeTimer);
      if (ended) return;
      ended = true;
      if (call === stream) {
        call = undefined;
        welcomed = false;
        stopHeartbeat();
      }
      scheduleReconnect(why);
    };
    stream.on('data', (message: ConnectResponse) => {
      switch (message.payload.case) {
        case 'welcome':
          clearTimeout(welcomeTimer);
          welcomed = true;
          connectedAt = Date.now();
          failures.reset();
          if (failuresSinceConnected > 0)
            log.info({ target: options.target, failures: failuresSinceConnected }, 'collector stream restored');
          else log.info({ target: options.target }, 'connected to collector');
          failuresSinceConnected = 0;
          backoff.reset();
          startHeartbeat(message.payload.value.heartbeatIntervalSeconds);
          options.onWelcome(message.payload.value);
          return;
        case 'peerSet':
          return deliver(peerSets.applyFull(message.payload.value));
        case 'peerSetDelta':
          return deliver(peerSets.applyDelta(message.payload.value));
        case 'targetSet':
          if (!ended) options.onTargetSet?.(message.payload.value);
          return;
        default:
          return;
      }
    });
    const deliver = (result: PeerSetResult): void => {
      if (ended) return;
      if (result.ok) return options.onPeerSet(result.peerSet);
      // Never guess at a set: keep the one held and ask for a full set on a new stream.
      peerSetResyncs++;
      if ((peerSetResyncs & (peerSetResyncs - 1)) === 0) {
        log.warn(
          {
            target: options.target,
            problem: result.detail,
            heldGeneration: peerSets.generation?.toString() ?? 'none',
            occurrences: peerSetResyncs,
          },
          result.reason === 'invalid'
            ? 'invalid peer set from the collector; keeping the current one and reconnecting for a full set'
            : 'peer-set delta does not apply; reconnecting for a full set',
        );
      }
      end(`peer set: ${result.detail}`);
      stream.cancel();
    };
    stream.on('status', (status: grpc.StatusObject) => {
      if (status.code !== grpc.status.OK) failures.report(status.code, status.details);
      end(`${grpc.status[status.code] ?? status.code}: ${status.details}`);
    });
    stream.on('error', (err: grpc.ServiceError) => end(`${grpc.status[err.code] ?? err.code}: ${err.details ?? err.message}`));
    stream.on('end', () => end('stream ended by collector'));
    const hello = options.hello();
    hello.acceptsPeerSetDeltas = true;
    stream.write(create(ConnectRequestSchema, { payload: { case: 'hello', value: hello } }));
  };

  return {
    start: connect,
    send: (message) => {
      if (!call || !welcomed) return false;
      call.write(message);
      return true;
    },
    get connected() {
      return welcomed;
    },
    reconnect: (reason) => {
      if (stopped) return;
      log.info({ reason }, 'reconnecting to re-announce this agent');
      const current = call;
      call = undefined;
      welcomed = false;
      if (retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      // Detach first: the old stream's end must not schedule a second, delayed connect.
      current?.removeAllListeners();
      current?.on('error', () => undefined);
      current?.cancel();
      connect();
    },
    stop: async () => {
      stopped = true;
      stopHeartbeat();
      if (retryTimer) clearTimeout(retryTimer);
      const current = call;
      call = undefined;
      welcomed = false;
      if (current) {
        // Half-close and let the collector close the call (it answers our end with its own), so
        // it sees a clean goodbye rather than a cancel; bounded, since a collector that is gone
        // or stalled must not hold up the agent's shutdown.
        const closed = await new Promise<boolean>((resolve) => {
          const done = (byCollector: boolean) => (): void => {
            clearTimeout(deadline);
            resolve(byCollector);
          };
          const deadline = setTimeout(done(false), stopGraceMs);
          current.once('status', done(true));
          current.once('error', done(true));
          current.end();
        });
        if (!closed) current.cancel();
      }
      client.close();
    },
  };
}
