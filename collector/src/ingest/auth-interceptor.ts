// Refuses agent streams without a valid bearer token before they reach the ingest handler:
// the check runs on the request headers, so an unauthenticated peer never gets a hello parsed.
import * as grpc from '@grpc/grpc-js';
import { authorizationHeader, parseBearer, type TokenVerifier } from '../../../shared/src/auth-token.ts';

export interface AuthRefusal {
  peer: string;
  /** 'missing' (no authorization header or not a Bearer token) or 'invalid' (no accepted token matched). */
  why: 'missing' | 'invalid';
}

export function createAuthInterceptor(deps: {
  verifier: () => TokenVerifier;
  onRefused: (refusal: AuthRefusal) => void;
}): grpc.ServerInterceptor {
  return (_method, call) => {
    const listener = new grpc.ServerListenerBuilder()
      .withOnReceiveMetadata((metadata, next) => {
        const values = metadata.get(authorizationHeader);
        const token = values.length === 1 ? parseBearer(values[0]) : undefined;
        if (token !== undefined && deps.verifier().verify(token)) return next(metadata);
        deps.onRefused({ peer: call.getPeer(), why: token === undefined ? 'missing' : 'invalid' });
        // Same answer for both cases: the agent learns nothing about which tokens exist.
        call.sendStatus({ code: grpc.status.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
      })
      .build();
    return new grpc.ServerInterceptingCall(call, new grpc.ResponderBuilder().withStart((next) => next(listener)).build());
  };
}
