// Services in the lab, the way kube-proxy's nftables mode programs them: per node, a nat
// table whose prerouting chain sends a Service address (198.19.0.0/16 only) through a
// random-choice verdict map to one chain per endpoint that DNATs to it, plus masquerade for
// traffic DNATed back onto the same pod bridge (kube-proxy's hairpin case). TCP or UDP (a DNS
// Service). Endpoints are pod IPs, or underlay addresses (the API server, seed 001). Faults: a
// node's Service table removed (a stale kube-proxy), a drop from one node's pods to one endpoint.
import { cidrContains } from '../../shared/src/cidr.ts';
import { POD_BRIDGE } from './naming.ts';
import { run } from './run.ts';

export const SERVICE_TABLE = 'netsentry_svc';
export const SERVICE_FAULT_TABLE = 'netsentry_svc_fault';

export interface LabService {
  /** 198.19.x.y */
  ip: string;
  port: number;
  /** Default tcp; udp for a DNS Service (kube-dns's 53/udp). */
  protocol?: 'tcp' | 'udp';
  endpoints: { ip: string; port: number }[];
}

const checkService = (s: LabService): void => {
  if (!cidrContains('198.19.0.0/16', s.ip)) throw new Error(`lab Service addresses come from 198.19.0.0/16, not ${s.ip}`);
  for (const ep of s.endpoints)
    if (!cidrContains('198.18.0.0/16', ep.ip) && !cidrContains('192.0.2.0/24', ep.ip))
      throw new Error(`lab endpoints are pod IPs in 198.18.0.0/16 or underlay addresses in 192.0.2.0/24, not ${ep.ip}`);
  if (s.protocol !== undefined && s.protocol !== 'tcp' && s.protocol !== 'udp') throw new Error(`bad protocol ${String(s.protocol)}`);
  for (const p of [s.port, ...s.endpoints.map((e) => e.port)])
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`bad port ${p}`);
};

/** The node's whole Service table (replaces an earlier one). */
export function serviceDnatScript(services: readonly LabService[]): string {
  services.forEach(checkService);
  const lines = [`table ip ${SERVICE_TABLE} {}`, `delete table ip ${SERVICE_TABLE}`, `table ip ${SERVICE_TABLE} {`];
  services.forEach((s, i) => {
    const proto = s.protocol ?? 'tcp';
    s.endpoints.forEach((ep, j) =>
      lines.push(`  chain svc${i}-ep${j} {`, `    meta l4proto ${proto} dnat ip to ${ep.ip}:${ep.port}`, '  }'),
    );
  });
  lines.push('  chain prerouting {', '    type nat hook prerouting priority dstnat; policy accept;');
  services.forEach((s, i) => {
    if (s.endpoints.length === 0) return;
    const map = s.endpoints.map((_, j) => `${j} : jump svc${i}-ep${j}`).join(', ');
    lines.push(`    ip daddr ${s.ip} ${s.protocol ?? 'tcp'} dport ${s.port} numgen random mod ${s.endpoints.length} vmap { ${map} }`);
  });
  lines.push(
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "${POD_BRIDGE}" ct status dnat masquerade`,
    '  }',
    '}',
    '',
  );
  return lines.join('\n');
}

/** Drops forwarded traffic from the node's pods to one endpoint, direct or DNATed. */
export function endpointDropScript(podCidr: string, endpoint: { ip: string; port: number }): string {
  return [
    `table inet ${SERVICE_FAULT_TABLE} {}`,
    `delete table inet ${SERVICE_FAULT_TABLE}`,
    `table inet ${SERVICE_FAULT_TABLE} {`,
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    ip saddr ${podCidr} ip daddr ${endpoint.ip} tcp dport ${endpoint.port} counter drop`,
    '  }',
    '}',
    '',
  ].join('\n');
}

const removeScript = (family: string, table: string): string => `table ${family} ${table} {}\ndelete table ${family} ${table}\n`;

export async function installServices(ns: string, services: readonly LabService[]): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], serviceDnatScript(services));
  // kubelet's hairpin-veth mode: a pod whose Service connection is DNATed back to itself
  // gets the frame out of the bridge port it came in on (with br_netfilter the DNATed frame
  // is bridged, not routed).
  const ports = JSON.parse(await run(['ip', 'netns', 'exec', ns, 'ip', '-j', 'link', 'show', 'master', POD_BRIDGE])) as {
    ifname: string;
  }[];
  for (const { ifname } of ports) await run(['ip', 'netns', 'exec', ns, 'bridge', 'link', 'set', 'dev', ifname, 'hairpin', 'on']);
}
export async function removeServices(ns: string): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], removeScript('ip', SERVICE_TABLE));
}
export async function dropToEndpoint(ns: string, podCidr: string, endpoint: { ip: string; port: number }): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], endpointDropScript(podCidr, endpoint));
}
export async function clearEndpointDrop(ns: string): Promise<void> {
  await run(['ip', 'netns', 'exec', ns, 'nft', '-f', '-'], removeScript('inet', SERVICE_FAULT_TABLE));
}

/** A TCP server in a pod (accepts and closes), as a node one-liner under the lab's process registry. */
export const tcpServerArgv = (nodeBinary: string, ip: string, port: number): string[] => [
  nodeBinary,
  '-e',
  `require('node:net').createServer((s) => s.end()).listen(${port}, ${JSON.stringify(ip)}, () => console.log(JSON.stringify({ msg: 'listening' })))`,
];
