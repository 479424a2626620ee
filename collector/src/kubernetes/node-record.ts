// What the collector takes from a Kubernetes Node: membership, pod CIDRs, InternalIP,
// flannel's annotations, readiness, cordon and deletion. Plain values, parsed once per event.
import type { V1Node } from '@kubernetes/client-node';

export interface NodeRecord {
  readonly name: string;
  readonly podCidrs: readonly string[];
  readonly internalIp?: string;
  /** Every InternalIP and ExternalIP in status.addresses (dual-stack and multi-homed nodes have several). */
  readonly addresses: readonly string[];
  /** flannel.alpha.coreos.com/backend-type, e.g. "vxlan", "host-gw". */
  readonly flannelBackend?: string;
  /** VtepMAC from flannel.alpha.coreos.com/backend-data. */
  readonly flannelVtepMac?: string;
  /** flannel.alpha.coreos.com/public-ip: the underlay address flannel announces for the node. */
  readonly flannelPublicIp?: string;
  /** The Ready condition: true, false, or undefined when unknown. */
  readonly ready?: boolean;
  readonly readyReason?: string;
  readonly readySinceMs?: number;
  readonly unschedulable: boolean;
  readonly deleting: boolean;
  /** When the Node was created (ms since the epoch), when known. */
  readonly createdMs?: number;
}

const annotation = (node: V1Node, key: string): string | undefined => {
  const value = node.metadata?.annotations?.[key];
  return value === undefined || value === '' ? undefined : value;
};

function vtepMacOf(backendData: string | undefined): string | undefined {
  if (!backendData) return undefined;
  try {
    const parsed = JSON.parse(backendData) as { VtepMAC?: unknown };
    return typeof parsed.VtepMAC === 'string' && parsed.VtepMAC !== '' ? parsed.VtepMAC.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

const timeMs = (value: Date | string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
};

export function nodeRecordOf(node: V1Node): NodeRecord | undefined {
  const name = node.metadata?.name;
  if (!name) return undefined;
  const podCidrs = node.spec?.podCIDRs?.length ? node.spec.podCIDRs : node.spec?.podCIDR ? [node.spec.podCIDR] : [];
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  const internalIp = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const addresses = (node.status?.addresses ?? [])
    .filter((a) => (a.type === 'InternalIP' || a.type === 'ExternalIP') && a.address)
    .map((a) => a.address);
  const flannelBackend = annotation(node, 'flannel.alpha.coreos.com/backend-type');
  const flannelVtepMac = vtepMacOf(annotation(node, 'flannel.alpha.coreos.com/backend-data'));
  const flannelPublicIp = annotation(node, 'flannel.alpha.coreos.com/public-ip');
  const readySinceMs = timeMs(ready?.lastTransitionTime);
  const createdMs = timeMs(node.metadata?.creationTimestamp);
  return Object.freeze({
    name,
    podCidrs: Object.freeze([...podCidrs]),
    ...(internalIp ? { internalIp } : {}),
    addresses: Object.freeze(addresses),
    ...(flannelBackend ? { flannelBackend } : {}),
    ...(flannelVtepMac ? { flannelVtepMac } : {}),
    ...(flannelPublicIp ? { flannelPublicIp } : {}),
    ...(ready ? { ready: ready.status === 'True' } : {}),
    ...(ready?.reason ? { readyReason: ready.reason } : {}),
    ...(readySinceMs !== undefined ? { readySinceMs } : {}),
    unschedulable: node.spec?.unschedulable === true,
    deleting: node.metadata?.deletionTimestamp !== undefined && node.metadata.deletionTimestamp !== null,
    ...(createdMs !== undefined ? { createdMs } : {}),
  });
}

/**
 * The Node as /api/v1/nodes shows it beside what the agents found; `listed: false` once the API
 * synced and has no such Node (the node is then nobody's peer).
 */
export function nodeRecordView(record: NodeRecord | undefined, synced: boolean) {
  if (!record) return synced ? { listed: false as const } : undefined;
  return {
    listed: true as const,
    ...(record.ready !== undefined ? { ready: record.ready } : {}),
    ...(record.readyReason ? { readyReason: record.readyReason } : {}),
    unschedulable: record.unschedulable,
    deleting: record.deleting,
    podCidrs: [...record.podCidrs],
    ...(record.internalIp ? { internalIp: record.internalIp } : {}),
    ...(record.flannelBackend || record.flannelVtepMac || record.flannelPublicIp
      ? {
          flannel: {
            ...(record.flannelBackend ? { backend: record.flannelBackend } : {}),
            ...(record.flannelVtepMac ? { vtepMac: record.flannelVtepMac } : {}),
            ...(record.flannelPublicIp ? { publicIp: record.flannelPublicIp } : {}),
          },
        }
      : {}),
  };
}
