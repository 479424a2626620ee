// No overlay found (or asked for): nothing to verify, nothing to read.
import { OverlayKind } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { healthyDigest, type OverlayBackend } from './backend.ts';

export const noneBackend: OverlayBackend = {
  name: 'none',
  kind: OverlayKind.NONE,
  needs: { neighbors: false, fdb: false },
  verify: () => ({ peersChecked: 0, peersOk: 0, problems: [], healthyDigest: healthyDigest([]) }),
};
