// grpc-js ends a call itself when a message is above the receive limit or does not decode;
// the handler then only sees 'cancelled'. This interceptor watches the statuses the server
// sends and names those two, so they are counted and logged like every other refusal.
import * as grpc from '@grpc/grpc-js';

export type TransportErrorReason = 'message_too_large' | 'undecodable_message';

export function transportErrorReason(status: Pick<grpc.StatusObject, 'code' | 'details'>): TransportErrorReason | undefined {
  if (status.code === grpc.status.RESOURCE_EXHAUSTED && /^Received message (that decompresses to a size )?larger than/.test(status.details))
    return 'message_too_large';
  if (status.code === grpc.status.INTERNAL && status.details.startsWith('Error deserializing request')) return 'undecodable_message';
  return undefined;
}

export function transportErrorInterceptor(
  onError: (reason: TransportErrorReason, peer: string, details: string) => void,
): grpc.ServerInterceptor {
  return (_method, call) => {
    // grpc-js sends these statuses from inside the innermost call (its own this.sendStatus),
    // which an intercepting wrapper never sees; so the innermost call's method is wrapped.
    // ingest-server.test.ts pins this behaviour, so a grpc-js upgrade that changes it fails there.
    const send = call.sendStatus.bind(call);
    call.sendStatus = (status) => {
      const reason = transportErrorReason(status);
      if (reason) onError(reason, call.getPeer(), status.details);
      send(status);
    };
    return new grpc.ServerInterceptingCall(call);
  };
}
