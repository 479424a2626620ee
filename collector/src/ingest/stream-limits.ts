// Admission control for agent streams: a cap on open streams in total and per peer address,
// and a token bucket per stream on messages. A legitimate agent opens one stream and sends
// a heartbeat, a probe batch and the odd report per few seconds, so the defaults leave
// ample room; anything beyond is refused with RESOURCE_EXHAUSTED, counted by reason.
import { isIP } from 'node:net';
import { createTokenBucket, type TokenBucket } from '../../../shared/src/token-bucket.ts';

export interface StreamLimitsOptions {
  /** Open streams in total (0 = no cap). */
  maxStreams: number;
  /** Open streams from one peer IP address (0 = no cap). */
  maxStreamsPerPeer: number;
  /** Messages per second per stream, sustained (0 = no limit); bursts of 10 s worth pass. */
  messagesPerSecond: number;
  now?: () => number;
}

export interface StreamTicket {
  /** False once the stream exceeded its message rate. */
  takeMessage(): boolean;
  release(): void;
}

export interface StreamLimits {
  /** A ticket, or why the stream is refused. */
  admit(peer: string): StreamTicket | { refused: string };
  readonly open: number;
}

/** gRPC peer strings ("192.0.2.11:53422", "::1:5000", "ipv6:[fd00::1]:5", "ipv4:…") → the address part. */
export function peerAddress(peer: string): string {
  if (peer.startsWith('unix:')) return peer;
  const bare = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (bracketed) return bracketed[1]!;
  // grpc-js appends ":port" without brackets, even to IPv6 addresses: strip it first.
  const withPort = /^(.*):\d+$/.exec(bare);
  return withPort && isIP(withPort[1]!) ? withPort[1]! : bare;
}

export function createStreamLimits(options: StreamLimitsOptions): StreamLimits {
  const perPeer = new Map<string, number>();
  let open = 0;
  return {
    admit(peer) {
      const address = peerAddress(peer);
      const fromPeer = perPeer.get(address) ?? 0;
      if (options.maxStreams > 0 && open >= options.maxStreams) return { refused: `more than ${options.maxStreams} open agent streams` };
      if (options.maxStreamsPerPeer > 0 && fromPeer >= options.maxStreamsPerPeer)
        return { refused: `more than ${options.maxStreamsPerPeer} open agent streams from ${address}` };
      open += 1;
      perPeer.set(address, fromPeer + 1);
      const bucket: TokenBucket | undefined =
        options.messagesPerSecond > 0
          ? createTokenBucket({ ratePerSecond: options.messagesPerSecond, burst: options.messagesPerSecond * 10, now: options.now })
          : undefined;
      let released = false;
      return {
        takeMessage: () => bucket?.take() ?? true,
        release: () => {
          if (released) return;
          released = true;
          open -= 1;
          const left = (perPeer.get(address) ?? 1) - 1;
          if (left <= 0) perPeer.delete(address);
          else perPeer.set(address, left);
        },
      };
    },
    get open() {
      return open;
    },
  };
}
