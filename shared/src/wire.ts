// The gRPC binding of the proto contract: @bufbuild/protobuf messages carried by @grpc/grpc-js.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  type ConnectRequest,
  type ConnectResponse,
  type PeerSet,
} from './gen/netsentry/v1/collector_pb.js';

export const connectPath = '/netsentry.v1.CollectorService/Connect';

/** Well below gRPC's 4 MiB default: the largest legitimate message is a report for a 5,000-node peer set. */
export const maxMessageBytes = 1024 * 1024;

export const encodeRequest = (message: ConnectRequest): Buffer => Buffer.from(toBinary(ConnectRequestSchema, message));
export const decodeRequest = (bytes: Buffer): ConnectRequest => fromBinary(ConnectRequestSchema, bytes);
/**
 * PeerSet bytes prepared by the collector (concatenated per-peer chunks, encoded once per
 * membership generation), so pushing a 5,000-node peer set to 10,000 streams is a memcpy
 * per stream instead of 5,000–10,000 message encodings per stream.
 */
export const preEncodedPeerSets = new WeakMap<PeerSet, Uint8Array>();

const varint = (n: number): number[] => {
  const bytes: number[] = [];
  while (n > 127) {
    bytes.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
};

export const encodeResponse = (message: ConnectResponse): Buffer => {
  const pre = message.payload.case === 'peerSet' ? preEncodedPeerSets.get(message.payload.value) : undefined;
  // ConnectResponse.peer_set is field 2 (length-delimited).
  if (pre) return Buffer.concat([Buffer.from([(2 << 3) | 2, ...varint(pre.length)]), pre]);
  return Buffer.from(toBinary(ConnectResponseSchema, message));
};
export const decodeResponse = (bytes: Buffer): ConnectResponse => fromBinary(ConnectResponseSchema, bytes);

export const collectorServiceDefinition = {
  connect: {
    path: connectPath,
    requestStream: true,
    responseStream: true,
    requestSerialize: encodeRequest,
    requestDeserialize: decodeRequest,
    responseSerialize: encodeResponse,
    responseDeserialize: decodeResponse,
  },
} satisfies ServiceDefinition;
