// The gRPC binding of the proto contract: @bufbuild/protobuf messages carried by @grpc/grpc-js.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type { ServiceDefinition } from '@grpc/grpc-js';
import {
  ConnectRequestSchema,
  ConnectResponseSchema,
  type ConnectRequest,
  type ConnectResponse,
} from './gen/netsentry/v1/collector_pb.js';

export const connectPath = '/netsentry.v1.CollectorService/Connect';

/** Well below gRPC's 4 MiB default: the largest legitimate message is a report for a 5,000-node peer set. */
export const maxMessageBytes = 1024 * 1024;

export const encodeRequest = (message: ConnectRequest): Buffer => Buffer.from(toBinary(ConnectRequestSchema, message));
export const decodeRequest = (bytes: Buffer): ConnectRequest => fromBinary(ConnectRequestSchema, bytes);
export const encodeResponse = (message: ConnectResponse): Buffer => Buffer.from(toBinary(ConnectResponseSchema, message));
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
