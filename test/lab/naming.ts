// Names, addresses and MACs of a lab: pure functions, so every other file (and the
// tests) derive them the same way. Only 192.0.2.0/24 and 198.18.0.0/15 ever appear.
import { randomBytes } from 'node:crypto';

export const UNDERLAY_GATEWAY_IP = '192.0.2.1';
export const UNDERLAY_PREFIX_LEN = 24;
export const VXLAN_DEVICE = 'flannel.1';
export const VXLAN_VNI = 1;
export const VXLAN_PORT = 8472;
export const POD_BRIDGE = 'cni0';
/** VXLAN over IPv4 adds 50 bytes: outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14. */
export const VXLAN_OVERHEAD = 50;
export const MAX_NODES = 200;
export const MAX_PODS_PER_NODE = 100;

/** `nsl` + 4 base36 chars, e.g. `nslk3x9`. The prefix of every name is `<id>-`. */
export const LAB_ID_PATTERN = /^nsl[0-9a-z]{4}$/;
/** Any network namespace a lab could have created. */
export const LAB_NETNS_PATTERN = /^(nsl[0-9a-z]{4})-/;
/** The root-namespace veth end of a lab (`<id>u`, 8 chars, within IFNAMSIZ). */
export const ROOT_VETH_PATTERN = /^(nsl[0-9a-z]{4})u$/;

export function createLabId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  const bytes = randomBytes(4);
  let suffix = '';
  for (const b of bytes) suffix += alphabet[b % alphabet.length];
  return `nsl${suffix}`;
}

export interface LabPod {
  name: string;
  ns: string;
  ip: string;
}

export interface LabNode {
  name: string;
  index: number;
  ns: string;
  underlayIp: string;
  podCidr: string;
  podGateway: string;
  vtepMac: string;
  vtepIp: string;
  pods: LabPod[];
}

export interface LabNames {
  id: string;
  prefix: string;
  underlayNs: string;
  /** The root-namespace veth (`<id>u`) holding 192.0.2.1, or null when 192.0.2.1 lives in gatewayNs. */
  rootVeth: string | null;
  /** Namespace holding 192.0.2.1 when the root namespace cannot (it already uses 192.0.2.0/24). */
  gatewayNs: string | null;
  nodes: LabNode[];
  /** Every namespace of the lab, underlay first. */
  allNs: string[];
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** flannel derives the VTEP MAC from the node; we use 0a:58 + the pod network bytes. */
export function vtepMac(index: number): string {
  return `0a:58:c6:12:${hex2(index)}:00`;
}

export function underlayIp(index: number): string {
  return `192.0.2.${10 + index}`;
}

export function podIp(index: number, pod: number): string {
  return `198.18.${index}.${10 + pod}`;
}

/** Where 192.0.2.1 lives: a veth in the root namespace, or a `<prefix>gateway` namespace. */
export type GatewayPlacement = 'root' | 'netns';

export function createLabNames(id: string, nodes: number, podsPerNode: number, gateway: GatewayPlacement = 'root'): LabNames {
  if (!LAB_ID_PATTERN.test(id)) throw new Error(`lab id ${JSON.stringify(id)} does not match ${LAB_ID_PATTERN}`);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) {
    throw new Error(`nodes must be an integer in 1..${MAX_NODES}, got ${nodes}`);
  }
  if (!Number.isInteger(podsPerNode) || podsPerNode < 0 || podsPerNode > MAX_PODS_PER_NODE) {
    throw new Error(`podsPerNode must be an integer in 0..${MAX_PODS_PER_NODE}, got ${podsPerNode}`);
  }
  const prefix = `${id}-`;
  const list: LabNode[] = [];
  for (let i = 1; i <= nodes; i++) {
    const name = `node-${i}`;
    const ns = `${prefix}${name}`;
    const pods: LabPod[] = [];
    for (let k = 1; k <= podsPerNode; k++) {
      pods.push({ name: `${name}-pod-${k}`, ns: `${ns}-pod-${k}`, ip: podIp(i, k) });
    }
    list.push({
      name,
      index: i,
      ns,
      underlayIp: underlayIp(i),
      podCidr: `198.18.${i}.0/24`,
      podGateway: `198.18.${i}.1`,
      vtepMac: vtepMac(i),
      vtepIp: `198.18.${i}.0`,
      pods,
    });
  }
  const underlayNs = `${prefix}underlay`;
  const gatewayNs = gateway === 'netns' ? `${prefix}gateway` : null;
  return {
    id,
    prefix,
    underlayNs,
    rootVeth: gateway === 'root' ? `${id}u` : null,
    gatewayNs,
    nodes: list,
    allNs: [underlayNs, ...(gatewayNs ? [gatewayNs] : []), ...list.flatMap((n) => [n.ns, ...n.pods.map((p) => p.ns)])],
  };
}
