// The lab as iproute2 batch scripts: pure, so the exact kernel programming is visible and
// unit-testable. run.ts feeds each script to one `ip [-n NS] -batch -` (or `bridge`) call.
import {
  POD_BRIDGE,
  UNDERLAY_GATEWAY_IP,
  UNDERLAY_PREFIX_LEN,
  VXLAN_DEVICE,
  VXLAN_PORT,
  VXLAN_VNI,
  type LabNames,
  type LabNode,
} from './naming.ts';

export interface BuildPlan {
  /** Run in the root namespace: creates every netns, every veth pair, the root veth. */
  root: string[];
  /** One `ip -n NS -batch -` script per namespace. */
  ip: Map<string, string[]>;
  /** One `bridge -n NS -batch -` script per node namespace (VXLAN FDB). */
  bridge: Map<string, string[]>;
  /** Namespaces that need `net.ipv4.ip_forward=1`. */
  forwarding: string[];
}

/**
 * Underlay bridge ports get explicit ifindexes (gw = 10, n<i> = 10 + i): a veth whose
 * ifindex equals its peer's (both 2 in fresh namespaces) gets its carrier change handled
 * by linkwatch as non-urgent, up to 1 s late, and the bridge port stays disabled till then.
 */
const UNDERLAY_PORT_INDEX = 10;

/** Inside the underlay namespace the port towards node i is `n<i>`, towards root `gw`. */
export function underlayPort(node: LabNode): string {
  return `n${node.index}`;
}

function podVeth(pod: number): string {
  return `veth${pod}`;
}

export function overlayMtu(underlayMtu: number): number {
  return underlayMtu - 50;
}

/** route + neighbor lines that point `node` at `peer` over the VXLAN device. */
export function peerIpLines(peer: LabNode, verb: 'add' | 'replace'): string[] {
  return [
    `route ${verb} ${peer.podCidr} via ${peer.vtepIp} dev ${VXLAN_DEVICE} onlink`,
    `neigh ${verb} ${peer.vtepIp} lladdr ${peer.vtepMac} dev ${VXLAN_DEVICE} nud permanent`,
  ];
}

/** FDB line: the peer's VTEP MAC lives behind the peer's underlay IP. */
export function peerFdbLine(peer: LabNode, verb: 'append' | 'replace' | 'del'): string {
  const tail = verb === 'del' ? 'self' : 'self permanent';
  return `fdb ${verb} ${peer.vtepMac} dev ${VXLAN_DEVICE} dst ${peer.underlayIp} ${tail}`;
}

/** The `ip -batch` lines that create a node's VXLAN device as flannel does: its VTEP MAC, the overlay MTU, its /32 address, up. */
export function vxlanDeviceLines(node: Pick<LabNode, 'vtepMac' | 'vtepIp' | 'underlayIp'>, overlayDeviceMtu: number): string[] {
  return [
    `link add ${VXLAN_DEVICE} address ${node.vtepMac} mtu ${overlayDeviceMtu} type vxlan id ${VXLAN_VNI} dstport ${VXLAN_PORT} local ${node.underlayIp} dev eth0 nolearning`,
    `addr add ${node.vtepIp}/32 dev ${VXLAN_DEVICE}`,
    `link set ${VXLAN_DEVICE} up`,
  ];
}

export function createBuildPlan(names: LabNames, underlayMtu: number): BuildPlan {
  const mtu = underlayMtu;
  const inner = overlayMtu(underlayMtu);
  const root: string[] = names.allNs.map((ns) => `netns add ${ns}`);
  const ip = new Map<string, string[]>();
  const bridge = new Map<string, string[]>();
  const underlay = ['link set lo up', `link add br0 mtu ${mtu} type bridge`, 'link set br0 up'];
  for (const node of names.nodes) {
    root.push(
      `link add ${underlayPort(node)} netns ${names.underlayNs} index ${UNDERLAY_PORT_INDEX + node.index} mtu ${mtu} type veth peer name eth0 netns ${node.ns} mtu ${mtu}`,
    );
    underlay.push(`link set ${underlayPort(node)} master br0 up`);
    const script = [
      'link set lo up',
      'link set eth0 up',
      `addr add ${node.underlayIp}/${UNDERLAY_PREFIX_LEN} dev eth0`,
      ...vxlanDeviceLines(node, inner),
      `link add ${POD_BRIDGE} mtu ${inner} type bridge`,
      `addr add ${node.podGateway}/24 dev ${POD_BRIDGE}`,
      `link set ${POD_BRIDGE} up`,
    ];
    node.pods.forEach((pod, i) => {
      const veth = podVeth(i + 1);
      root.push(`link add ${veth} netns ${node.ns} mtu ${inner} type veth peer name eth0 netns ${pod.ns} mtu ${inner}`);
      script.push(`link set ${veth} master ${POD_BRIDGE} up`);
      ip.set(pod.ns, [
        'link set lo up',
        'link set eth0 up',
        `addr add ${pod.ip}/24 dev eth0`,
        `route add default via ${node.podGateway} dev eth0`,
      ]);
    });
    const peers = names.nodes.filter((p) => p.index !== node.index);
    for (const peer of peers) script.push(...peerIpLines(peer, 'add'));
    ip.set(node.ns, script);
    bridge.set(
      node.ns,
      peers.map((peer) => peerFdbLine(peer, 'append')),
    );
  }
  const gatewayAddr = `${UNDERLAY_GATEWAY_IP}/${UNDERLAY_PREFIX_LEN}`;
  if (names.rootVeth !== null) {
    root.push(
      `link add ${names.rootVeth} mtu ${mtu} type veth peer name gw netns ${names.underlayNs} mtu ${mtu}`,
      `addr add ${gatewayAddr} dev ${names.rootVeth}`,
      `link set ${names.rootVeth} up`,
      // Return path for pod-network agents (source = pod IP); gone with the veth.
      ...names.nodes.map((n) => `route add ${n.podCidr} via ${n.underlayIp} dev ${names.rootVeth} onlink`),
    );
  } else if (names.gatewayNs !== null) {
    root.push(
      `link add gw netns ${names.underlayNs} index ${UNDERLAY_PORT_INDEX} mtu ${mtu} type veth peer name eth0 netns ${names.gatewayNs} mtu ${mtu}`,
    );
    ip.set(names.gatewayNs, [
      'link set lo up',
      'link set eth0 up',
      `addr add ${gatewayAddr} dev eth0`,
      ...names.nodes.map((n) => `route add ${n.podCidr} via ${n.underlayIp} dev eth0 onlink`),
    ]);
  } else {
    throw new Error('lab names have neither a root veth nor a gateway namespace');
  }

  underlay.push('link set gw master br0 up');
  ip.set(names.underlayNs, underlay);
  return { root, ip, bridge, forwarding: names.nodes.map((n) => n.ns) };
}

/** The nftables table the lab's packet-filter faults live in (one per node namespace). */
export const NFT_TABLE = 'netsentry_lab';

export type NftHook = 'input' | 'output' | 'forward';

/**
 * `nft -f -` script that (re)creates `inet netsentry_lab` with one chain per hook, each
 * dropping UDP unless its destination or source port is in exceptPorts. The leading
 * add + delete makes it an atomic replace whether or not the table exists.
 */
export function nftDropUdpScript(exceptPorts: readonly number[], hooks: readonly NftHook[] = ['input', 'output']): string {
  for (const p of exceptPorts) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`bad UDP port ${p}`);
  }
  if (hooks.length === 0) throw new Error('nft: no hooks');
  const ports = [...new Set(exceptPorts)].sort((a, b) => a - b).join(', ');
  const chains = [...new Set(hooks)].map((hook) =>
    [
      `  chain ${hook} {`,
      `    type filter hook ${hook} priority filter; policy accept;`,
      ...(ports === '' ? [] : [`    udp dport { ${ports} } accept`, `    udp sport { ${ports} } accept`]),
      '    meta l4proto udp counter drop',
      '  }',
    ].join('\n'),
  );
  return [`table inet ${NFT_TABLE} {}`, `delete table inet ${NFT_TABLE}`, `table inet ${NFT_TABLE} {`, ...chains, '}', ''].join('\n');
}

/** Deletes the table if it exists (no error when it does not). */
export function nftRemoveScript(): string {
  return `table inet ${NFT_TABLE} {}\ndelete table inet ${NFT_TABLE}\n`;
}
