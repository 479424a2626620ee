// Readable names for the wire enums, used in evidence text and the JSON API.
import { LinkRole, OverlayKind, OverlayPart, Problem } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

const overlayKinds: Record<number, string> = {
  [OverlayKind.NONE]: 'none',
  [OverlayKind.FLANNEL_VXLAN]: 'flannel-vxlan',
  [OverlayKind.FLANNEL_HOST_GW]: 'flannel-host-gw',
};

const parts: Record<number, string> = {
  [OverlayPart.ROUTE]: 'route',
  [OverlayPart.NEIGHBOR]: 'neighbor',
  [OverlayPart.FDB]: 'FDB',
};

const problems: Record<number, string> = {
  [Problem.MISSING]: 'missing',
  [Problem.WRONG_DEVICE]: 'wrong device',
  [Problem.WRONG_GATEWAY]: 'wrong gateway',
  [Problem.WRONG_MAC]: 'wrong MAC',
  [Problem.WRONG_DESTINATION]: 'wrong destination',
  [Problem.NOT_PERMANENT]: 'not permanent',
  [Problem.NOT_ONLINK]: 'not onlink',
};

const linkRoles: Record<number, string> = {
  [LinkRole.OVERLAY]: 'overlay',
  [LinkRole.POD_BRIDGE]: 'pod-bridge',
  [LinkRole.UNDERLAY]: 'underlay',
};

export const overlayKindName = (kind: OverlayKind | undefined): string => overlayKinds[kind ?? OverlayKind.UNSPECIFIED] ?? 'unspecified';
export const overlayPartName = (part: OverlayPart): string => parts[part] ?? 'unspecified part';
export const problemName = (problem: Problem): string => problems[problem] ?? 'unspecified problem';
export const linkRoleName = (role: LinkRole): string => linkRoles[role] ?? 'unspecified';
