// What a pod agent knows about its own network namespace, without iproute2:
// the pod IP and interface from os.networkInterfaces(), the MTU from /sys/class/net/<if>/mtu.
import type { NetworkInterfaceInfo } from 'node:os';

export const fallbackPodMtu = 1450;

export interface PodNetwork {
  podIp: string;
  interfaceName: string;
  mtu: number;
  /** Plain sentences about what was not found, for the start-up log. */
  notes: string[];
}

export interface PodNetworkDeps {
  podIp?: string;
  interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>;
  /** Reads a file's text, e.g. /sys/class/net/eth0/mtu; rejects when unreadable. */
  readFile: (path: string) => Promise<string>;
}

export async function detectPodNetwork(deps: PodNetworkDeps): Promise<PodNetwork> {
  const notes: string[] = [];
  const entries = Object.entries(deps.interfaces).flatMap(([name, addrs]) => (addrs ?? []).map((a) => ({ name, ...a })));
  const match = deps.podIp ? entries.find((e) => e.address === deps.podIp) : entries.find((e) => e.family === 'IPv4' && !e.internal);
  const podIp = deps.podIp ?? match?.address;
  if (!podIp) throw new Error('no non-internal IPv4 address in this namespace; pass --pod-ip');
  if (!match) notes.push(`--pod-ip ${podIp} is not on any interface here; using it as given`);
  const interfaceName = match?.name ?? '';
  let mtu = fallbackPodMtu;
  if (!interfaceName) notes.push(`pod interface unknown; assuming MTU ${fallbackPodMtu}`);
  else {
    try {
      const value = Number((await deps.readFile(`/sys/class/net/${interfaceName}/mtu`)).trim());
      if (Number.isInteger(value) && value >= 68) mtu = value;
      else notes.push(`/sys/class/net/${interfaceName}/mtu is not a valid MTU; assuming ${fallbackPodMtu}`);
    } catch (err) {
      notes.push(`cannot read /sys/class/net/${interfaceName}/mtu (${(err as Error).message}); assuming MTU ${fallbackPodMtu}`);
    }
  }
  return { podIp, interfaceName, mtu, notes };
}

/** The first `nameserver` in resolv.conf text, or undefined. */
export function firstNameserver(resolvConf: string): string | undefined {
  for (const line of resolvConf.split('\n')) {
    const match = /^\s*nameserver\s+(\S+)/.exec(line);
    if (match) return match[1];
  }
  return undefined;
}
