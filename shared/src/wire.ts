// The gRPC binding of the proto contract: @bufbuild/protobuf messages carried by @grpc/grpc-js.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { ConnectRequestSchema, ConnectResponseSchema, type ConnectRequest, type ConnectResponse } from './gen/netsentry/v1/collector_pb.js';

export const connectPath = '/netsentry.v1.CollectorService/Connect';

/** Well below gRPC's 4 MiB default: the largest legitimate message is a report for a 5,000-node peer set. */
export const maxMessageBytes = 1024 * 1024;

export const encodeRequest = (message: ConnectRequest): Buffer => Buffer.from(toBinary(ConnectRequestSchema, message));
/** The encoded size of each decoded request, so the collector can budget what it stores by bytes. */
export const requestBytes = new WeakMap<ConnectRequest, number>();
export const decodeRequest = (bytes: Buffer): ConnectRequest => {
  const message = fromBinary(ConnectRequestSchema, bytes);
  requestBytes.set(message, bytes.length);
  return message;
};
/**
 * Responses the collector encoded itself (peer sets and deltas: per-peer chunks encoded once
 * per change and cut per stream, collector/src/model/peer-set-publisher.ts), so pushing a
 * 5,000-node peer set to 10,000 streams is a memcpy per stream instead of 5,000–10,000
 * message encodings per stream. The message object itself carries no peers. A function is
 * called when gRPC serializes the message, i.e. when the stream is ready for it: a stream
 * that is behind holds a reference to shared bytes, not its own copy.
 */
export const preEncodedResponses = new WeakMap<ConnectResponse, Uint8Array | (() => Uint8Array)>();

export const varint = (n: number): number[] => {
  const bytes: number[] = [];
  while (n > 127) {
    bytes.push((n & 127) | 128);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return bytes;
};

export const encodeResponse = (message: ConnectResponse): Buffer => {
  const entry = preEncodedResponses.get(message);
  const pre = typeof entry === 'function' ? entry() : entry;
  if (pre) return Buffer.isBuffer(pre) ? pre : Buffer.from(pre.buffer, pre.byteOffset, pre.byteLength);
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
