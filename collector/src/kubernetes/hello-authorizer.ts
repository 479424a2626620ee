// With the API on: a stream may only say hello for a node the API lists, with probe addresses
// that are that Node's own (probe-address-check.ts), and with node identity (projected tokens,
// TokenReview) only for the node its token is bound to. Anything else is PERMISSION_DENIED,
// counted (stream errors, reason permission_denied) and logged once per source address per window.
import type * as grpc from '@grpc/grpc-js';
import type { Hello } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { createLogOncePerKey, peerHost } from '../ingest/log-once-per-key.ts';
import { verifiedNodeOf } from './node-identity-interceptor.ts';
import type { NodeRecord } from './node-record.ts';
import { probeAddressRefusal } from './probe-address-check.ts';

export function createHelloAuthorizer(deps: {
  logger: Logger;
  requireBinding: boolean;
  nodeRecord: (name: string) => NodeRecord | undefined;
  apiSynced: () => boolean;
  logWindowMs?: number;
}) {
  const log = deps.logger.child({ component: 'node-identity' });
  const windowMs = deps.logWindowMs ?? 10 * 60_000;
  const limiter = createLogOncePerKey({ windowMs, maxKeys: 4096 });
  return (hello: Hello, metadata: grpc.Metadata, peer: string): string | undefined => {
    const nodeName = hello.nodeName;
    // Without node identity no interceptor strips the header: a client's copy means nothing.
    const bound = deps.requireBinding ? verifiedNodeOf(metadata) : undefined;
    let refusal: string | undefined;
    if (deps.requireBinding && bound === undefined) refusal = 'no verified node identity on this stream';
    else if (deps.requireBinding && bound !== nodeName) refusal = `the token is bound to node ${bound}, not ${nodeName}`;
    // Before the first list the collector cannot tell; the token's node claim already holds.
    else if (deps.apiSynced()) {
      const record = deps.nodeRecord(nodeName);
      refusal = record ? probeAddressRefusal(hello, record) : `node ${nodeName} does not exist in the Kubernetes API`;
    }
    if (refusal === undefined) return undefined;
    const logged = limiter.shouldLog(peerHost(peer));
    if (logged)
      log.warn(
        {
          peer,
          node: nodeName,
          boundNode: bound,
          code: 'PERMISSION_DENIED',
          refusedSinceLastLine: logged.suppressed,
          quietForSeconds: Math.round(windowMs / 1000),
        },
        `refused hello: ${refusal}`,
      );
    return refusal;
  };
}
