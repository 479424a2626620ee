// With the API on: every agent stream's bearer token goes through a TokenReview before the
// ingest sees it; the node the token is bound to travels on to the hello check in an internal
// metadata entry (any copy the client sent is dropped first).
import * as grpc from '@grpc/grpc-js';
import { authorizationHeader, parseBearer } from '../../../shared/src/auth-token.ts';
import type { TokenReviewer } from './token-review.ts';

export const verifiedNodeHeader = 'x-netsentry-verified-node';

export function createNodeIdentityInterceptor(deps: {
  reviewer: TokenReviewer;
  onRefused: (peer: string, why: string) => void;
}): grpc.ServerInterceptor {
  return (_method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        metadata.remove(verifiedNodeHeader);
        const values = metadata.get(authorizationHeader);
        const token = values.length === 1 ? parseBearer(values[0]) : undefined;
        const refuse = (why: string): void => {
          deps.onRefused(call.getPeer(), why);
          call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
        };
        if (token === undefined) return refuse('missing');
        deps.reviewer.review(token).then(
          (result) => {
            if ('refused' in result) return refuse(result.refused);
            metadata.set(verifiedNodeHeader, result.node);
            next(metadata);
          },
          (err: unknown) => refuse(String(err)),
        );
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}

/** The node a stream's token is bound to, or undefined when no identity check ran. */
export function verifiedNodeOf(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get(verifiedNodeHeader)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
