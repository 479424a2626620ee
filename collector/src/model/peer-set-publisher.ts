// Peer sets as the bytes the ingest writes: a full set (ConnectResponse.peer_set) or a delta
// from a generation the stream already has (ConnectResponse.peer_set_delta). At 5,000 nodes
// a host agent's full set is ~10,000 peers, so nothing here is O(peers) per stream except
// one memcpy of a full set: each peer is encoded once when it changes, a full set is
// concatenated once per generation and a delta once per (network, base generation), and a
// stream's copy is that buffer with its own node's entries cut out.
import { create, toBinary } from '@bufbuild/protobuf';
import {
  ConnectResponseSchema,
  PeerSetDeltaSchema,
  PeerSetSchema,
  type ConnectResponse,
  type Peer,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { preEncodedResponses, varint } from '../../../shared/src/wire.ts';
import { wireNetworkOf, type AgentNetwork } from './agent-network.ts';
import type { PeerChange, PeerChangeLog } from './peer-change-log.ts';

export interface PeerSetUpdate {
  kind: 'full' | 'delta';
  generation: bigint;
  /** Carries no peers itself: the ingest's serializer writes the pre-encoded bytes (wire.ts). */
  message: ConnectResponse;
  /** Encoded size of the ConnectResponse. */
  bytes: number;
  /** Peers in the full set, or upserted + removed in the delta. */
  entries: number;
}

export interface PeerSetPublisher {
  /**
   * What to send the agent `node` on `network`: a delta from `base` when given, the change
   * log still covers it and the delta is smaller than the full set; else the full set.
   * `staleFullOk`: a full set of an earlier generation will do (a push wave is pending that
   * brings the stream up to date), so a connect storm does not rebuild the full set per hello.
   */
  updateFor(node: string, network: AgentNetwork, options: { base?: bigint; staleFullOk?: boolean }): PeerSetUpdate;
  /** The current set for an agent, as messages (tests and in-process users; O(peers)). */
  peersFor(node: string, network: AgentNetwork): Peer[];
}

export interface PeerSetPublisherDeps {
  generation(): bigint;
  log: PeerChangeLog;
  /** The peer entry for a node's agent on a network, undefined when there is none. */
  peerOf(node: string, network: AgentNetwork): Peer | undefined;
  /** Every node name (for a rebuild when the log no longer covers the last sync). */
  nodeNames(): Iterable<string>;
}

interface Entry {
  peer: Peer;
  /** PeerSet{peers: [peer]} bytes: field 2, length-delimited. */
  chunk: Uint8Array;
}

interface PeerTable {
  entries: Map<string, Entry>;
  /** Node names, sorted; rebuilt lazily after changes. */
  sorted: string[] | undefined;
}

interface FullSet {
  generation: bigint;
  head: Uint8Array;
  all: Buffer;
  /** Per network part (host first): sorted names and the chunk offsets within `all`. */
  parts: { names: string[]; offsets: Int32Array }[];
}

interface DeltaSet {
  head: Uint8Array;
  body: Buffer;
  entries: number;
  /** Byte ranges in `body` belonging to each node (cut out for that node's own stream). */
  ranges: Map<string, [number, number][]>;
}

const responseTag = { full: (2 << 3) | 2, delta: (3 << 3) | 2 } as const;
const upsertedTag = (3 << 3) | 2;
const networkRank = (network: AgentNetwork): number => (network === 'host' ? 0 : 1);
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** A host agent's set holds host and pod peers; a pod agent's only pod peers. */
const networksFor = (network: AgentNetwork): AgentNetwork[] => (network === 'host' ? ['host', 'pod'] : ['pod']);

const skippedBytes = (skip: readonly [number, number][]): number => skip.reduce((sum, [start, end]) => sum + end - start, 0);

function lowerBound(names: readonly string[], name: string): number {
  let lo = 0;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A body cut around `skip` ranges (sorted, disjoint), as a ConnectResponse with the given
 * field tag: its size now, its bytes when gRPC asks (the copy is made per stream, when the
 * stream is ready to send it).
 */
function assemble(tag: number, head: Uint8Array, body: Buffer, skip: readonly [number, number][]): { bytes: number; encode: () => Buffer } {
  const length = head.length + body.length - skippedBytes(skip);
  const prefix = Buffer.from([tag, ...varint(length)]);
  return {
    bytes: prefix.length + length,
    encode: () => {
      const pieces: Uint8Array[] = [prefix, head];
      let from = 0;
      for (const [start, end] of skip) {
        pieces.push(body.subarray(from, start));
        from = end;
      }
      pieces.push(body.subarray(from));
      return Buffer.concat(pieces, prefix.length + length);
    },
  };
}

export function createPeerSetPublisher(deps: PeerSetPublisherDeps): PeerSetPublisher {
  const tables: Record<AgentNetwork, PeerTable> = {
    host: { entries: new Map(), sorted: undefined },
    pod: { entries: new Map(), sorted: undefined },
  };
  let synced = -1n;
  const fullSets = new Map<AgentNetwork, FullSet>();
  let deltas = new Map<string, DeltaSet>();
  let deltasGeneration = -1n;

  const refresh = (node: string, network: AgentNetwork): void => {
    const table = tables[network];
    const peer = deps.peerOf(node, network);
    if (!peer) {
      if (table.entries.delete(node)) table.sorted = undefined;
      return;
    }
    if (!table.entries.has(node)) table.sorted = undefined;
    table.entries.set(node, { peer, chunk: toBinary(PeerSetSchema, create(PeerSetSchema, { peers: [peer] })) });
  };

  /** Brings the tables to the model's generation: only the peers changed since the last sync. */
  const sync = (): bigint => {
    const generation = deps.generation();
    if (synced === generation) return generation;
    const changed = synced < 0n ? undefined : deps.log.changedSince(synced);
    if (changed) {
      for (const change of changed) refresh(change.node, change.network);
    } else {
      for (const table of Object.values(tables)) {
        table.entries.clear();
        table.sorted = undefined;
      }
      for (const node of deps.nodeNames()) for (const network of ['host', 'pod'] as const) refresh(node, network);
    }
    synced = generation;
    return generation;
  };

  const sortedNames = (network: AgentNetwork): string[] => {
    const table = tables[network];
    return (table.sorted ??= [...table.entries.keys()].sort(byName));
  };

  const fullSet = (network: AgentNetwork, generation: bigint, staleOk: boolean): FullSet => {
    const cached = fullSets.get(network);
    if (cached && (cached.generation === generation || staleOk)) return cached;
    const chunks: Uint8Array[] = [];
    const parts: FullSet['parts'] = [];
    let at = 0;
    for (const part of networksFor(network)) {
      const names = sortedNames(part);
      const offsets = new Int32Array(names.length + 1);
      const entries = tables[part].entries;
      for (let i = 0; i < names.length; i++) {
        offsets[i] = at;
        const chunk = entries.get(names[i]!)!.chunk;
        chunks.push(chunk);
        at += chunk.length;
      }
      offsets[names.length] = at;
      parts.push({ names, offsets });
    }
    const built: FullSet = {
      generation,
      head: toBinary(PeerSetSchema, create(PeerSetSchema, { generation })),
      all: Buffer.concat(chunks, at),
      parts,
    };
    fullSets.set(network, built);
    return built;
  };

  const fullSkip = (full: FullSet, node: string): [number, number][] => {
    const skip: [number, number][] = [];
    for (const { names, offsets } of full.parts) {
      const i = lowerBound(names, node);
      if (names[i] === node) skip.push([offsets[i]!, offsets[i + 1]!]);
    }
    return skip;
  };

  const deltaSet = (network: AgentNetwork, base: bigint, generation: bigint): DeltaSet | undefined => {
    if (deltasGeneration !== generation) {
      deltas = new Map();
      deltasGeneration = generation;
    }
    const key = `${network}|${base}`;
    const cached = deltas.get(key);
    if (cached) return cached;
    const changed = deps.log.changedSince(base);
    if (!changed) return undefined;
    const relevant = new Set(networksFor(network));
    const sorted = changed
      .filter((change) => relevant.has(change.network))
      .sort((a: PeerChange, b: PeerChange) => networkRank(a.network) - networkRank(b.network) || byName(a.node, b.node));
    const upserts: { node: string; chunk: Uint8Array }[] = [];
    const removals: { node: string; chunk: Uint8Array }[] = [];
    for (const change of sorted) {
      const entry = tables[change.network].entries.get(change.node);
      if (entry) {
        // The same bytes as in a full set, under PeerSetDelta.upserted (field 3) instead of PeerSet.peers (field 2).
        const chunk = Uint8Array.from(entry.chunk);
        chunk[0] = upsertedTag;
        upserts.push({ node: change.node, chunk });
      } else {
        const ref = { nodeName: change.node, network: wireNetworkOf(change.network) };
        removals.push({ node: change.node, chunk: toBinary(PeerSetDeltaSchema, create(PeerSetDeltaSchema, { removed: [ref] })) });
      }
    }
    const ranges = new Map<string, [number, number][]>();
    const chunks: Uint8Array[] = [];
    let at = 0;
    for (const { node, chunk } of [...upserts, ...removals]) {
      const list = ranges.get(node) ?? [];
      list.push([at, at + chunk.length]);
      ranges.set(node, list);
      chunks.push(chunk);
      at += chunk.length;
    }
    const built: DeltaSet = {
      head: toBinary(PeerSetDeltaSchema, create(PeerSetDeltaSchema, { baseGeneration: base, generation })),
      body: Buffer.concat(chunks, at),
      entries: chunks.length,
      ranges,
    };
    deltas.set(key, built);
    return built;
  };

  const register = (
    kind: 'full' | 'delta',
    generation: bigint,
    assembled: { bytes: number; encode: () => Buffer },
    entries: number,
  ): PeerSetUpdate => {
    const message =
      kind === 'full'
        ? create(ConnectResponseSchema, { payload: { case: 'peerSet', value: { generation } } })
        : create(ConnectResponseSchema, { payload: { case: 'peerSetDelta', value: { generation } } });
    preEncodedResponses.set(message, assembled.encode);
    return { kind, generation, message, bytes: assembled.bytes, entries };
  };

  return {
    updateFor(node, network, options) {
      const generation = sync();
      const full = fullSet(network, generation, options.staleFullOk === true && options.base === undefined);
      const skipFull = fullSkip(full, node);
      const fullEntries = full.parts.reduce((sum, part) => sum + part.names.length, 0) - skipFull.length;
      if (options.base !== undefined && full.generation === generation) {
        const delta = deltaSet(network, options.base, generation);
        if (delta) {
          const skipDelta = delta.ranges.get(node) ?? [];
          const deltaBytes = delta.head.length + delta.body.length - skippedBytes(skipDelta);
          const fullBytes = full.head.length + full.all.length - skippedBytes(skipFull);
          if (deltaBytes < fullBytes)
            return register(
              'delta',
              generation,
              assemble(responseTag.delta, delta.head, delta.body, skipDelta),
              delta.entries - skipDelta.length,
            );
        }
      }
      return register('full', full.generation, assemble(responseTag.full, full.head, full.all, skipFull), fullEntries);
    },
    peersFor(node, network) {
      sync();
      const peers: Peer[] = [];
      for (const part of networksFor(network)) {
        const entries = tables[part].entries;
        for (const name of sortedNames(part)) if (name !== node) peers.push(entries.get(name)!.peer);
      }
      return peers;
    },
  };
}
