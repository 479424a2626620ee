// Test support: a throwaway network namespace laid out the way flannel programs a node.
// Only 192.0.2.0/24 (underlay) and 198.18.0.0/15 (pods) are used, and only inside the
// namespace; nothing in the root namespace is touched. Always call destroy().
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface CaptureNetns {
  name: string;
  /** argv prefix that runs a command inside the namespace. */
  prefix: string[];
  exec(command: string): void;
  destroy(): void;
}

/** True when this process can create network namespaces (root, iproute2 present). */
export function canCreateNetns(): boolean {
  if (process.getuid?.() !== 0) return false;
  const name = `nsl-capture-probe-${randomBytes(3).toString('hex')}`;
  try {
    execFileSync('ip', ['netns', 'add', name], { stdio: 'ignore' });
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function createCaptureNetns(): CaptureNetns {
  const name = `nsl-capture-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
  const prefix = ['ip', 'netns', 'exec', name];
  let destroyed = false;
  return {
    name,
    prefix,
    exec(command) {
      const argv = command.split(/\s+/).filter((s) => s !== '');
      execFileSync(prefix[0] ?? 'ip', [...prefix.slice(1), ...argv], { stdio: 'pipe' });
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    },
  };
}

export const vtepMac = (j: number): string => `0a:58:c6:12:${j.toString(16).padStart(2, '0')}:00`;

/**
 * Node 1 of a flannel VXLAN cluster with peers 2..(1+peerCount): eth0 192.0.2.11/24,
 * flannel.1 (VNI 1, port 8472, 198.18.1.0/32, MTU 1450), cni0 198.18.1.1/24, and per
 * peer j the route, PERMANENT neighbor and FDB entry flannel installs. The underlay is a
 * dummy device, or ifb on kernels built without dummy.
 */
export function buildFlannelNode(ns: CaptureNetns, peerCount = 3): void {
  ns.exec('ip link set lo up');
  try {
    ns.exec('ip link add eth0 type dummy');
  } catch {
    ns.exec('ip link add eth0 type ifb');
  }
  ns.exec('ip link set eth0 mtu 1500 up');
  ns.exec('ip addr add 192.0.2.11/24 dev eth0');
  ns.exec('ip route add default via 192.0.2.1 dev eth0');
  ns.exec('ip link add flannel.1 type vxlan id 1 dstport 8472 local 192.0.2.11 dev eth0 nolearning');
  ns.exec(`ip link set flannel.1 address ${vtepMac(1)} mtu 1450 up`);
  ns.exec('ip addr add 198.18.1.0/32 dev flannel.1');
  ns.exec('ip link add cni0 type bridge');
  ns.exec('ip link set cni0 mtu 1450 up');
  ns.exec('ip addr add 198.18.1.1/24 dev cni0');
  for (let j = 2; j < 2 + peerCount; j++) {
    ns.exec(`ip route add 198.18.${j}.0/24 via 198.18.${j}.0 dev flannel.1 onlink`);
    ns.exec(`ip neigh add 198.18.${j}.0 lladdr ${vtepMac(j)} dev flannel.1 nud permanent`);
    ns.exec(`bridge fdb append ${vtepMac(j)} dev flannel.1 dst 192.0.2.${10 + j} self permanent`);
  }
}
