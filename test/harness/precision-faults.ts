// Every fault the lab knows, as the precision harness runs them (4-node lab, host and pod
// agents). Each names the nodes it is on and the finding kinds that diagnose it correctly;
// the node life-cycle events (a node leaving and joining, a CNI restart) name no node: every
// node is healthy through them, so any finding is wrong.
import { chmod, mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Stack } from './stack.ts';
import type { PrecisionFault } from './precision.ts';

const oneWayTable = 'netsentry_oneway';
const wrongMac = '02:00:5e:00:53:99';
const movedMac = '02:00:5e:00:53:42';

/** An nft rule on `to` dropping probe traffic (port 7946) from `from`'s underlay address: from→to fails, to→from works. */
function oneWay(from: string, to: string): PrecisionFault {
  return {
    name: `one-way rule: ${to} drops probes from ${from}`,
    nodes: [from, to],
    diagnosis: ['AsymmetricReachability'],
    apply: async (s) => {
      const source = s.lab.node(from).underlayIp;
      const nft = (...args: string[]) => s.lab.exec(s.lab.node(to).ns, ['nft', ...args]);
      await nft('add', 'table', 'inet', oneWayTable);
      await nft('add', 'chain', 'inet', oneWayTable, 'in', '{ type filter hook input priority 0 ; }');
      await nft(
        'add',
        'rule',
        'inet',
        oneWayTable,
        'in',
        'ip',
        'saddr',
        source,
        'meta',
        'l4proto',
        '{ tcp, udp }',
        'th',
        'dport',
        '7946',
        'drop',
      );
    },
    repair: (s) => s.lab.exec(s.lab.node(to).ns, ['nft', 'delete', 'table', 'inet', oneWayTable]),
  };
}

interface NodesView {
  nodes: {
    name: string;
    state: string;
    hostAgent?: { connected: boolean; overlayCheck?: { peersChecked: number; peersOk: number } };
    podAgent?: { connected: boolean };
  }[];
  departed: { name: string }[];
}
const nodesView = (s: Stack) => s.getJson<NodesView>('/api/v1/nodes');
const peersOf = (s: Stack, node: string) => s.lab.nodes.map((n) => n.name).filter((n) => n !== node);

/** Every node active, both agents connected, every overlay chain verified: the cluster as built. */
async function allVerified(s: Stack): Promise<boolean> {
  const { nodes } = await nodesView(s);
  const peers = s.lab.nodes.length - 1;
  return (
    nodes.length === s.lab.nodes.length &&
    nodes.every(
      (n) =>
        n.state === 'active' &&
        n.hostAgent?.connected &&
        n.podAgent?.connected &&
        n.hostAgent.overlayCheck?.peersChecked === peers &&
        n.hostAgent.overlayCheck.peersOk === peers,
    )
  );
}

/**
 * A full conntrack table on `node`. A network namespace cannot have one of its own: its
 * nf_conntrack_max is read-only there and shared with the machine, and filling the machine's
 * table is out of bounds for a test. So the node's host agent reads a procfs double
 * (--proc-root): the conntrack files in the kernel's format (the stat table copied from the
 * node's namespace), everything else (sysctls) a link to the real /proc/sys/net/ipv4.
 */
function conntrackFull(node: string): PrecisionFault {
  let root = '';
  let max = 262_144;
  const setCount = async (count: number) => {
    const file = join(root, 'sys/net/netfilter/nf_conntrack_count');
    await writeFile(`${file}.tmp`, `${count}\n`, { mode: 0o644 });
    await rename(`${file}.tmp`, file); // the agent never reads half a file
  };
  return {
    name: `${node} conntrack table 95 % full`,
    nodes: [node],
    diagnosis: ['ConntrackPressure'],
    prepare: async (s) => {
      const ns = s.lab.node(node).ns;
      root = await mkdtemp(join(tmpdir(), 'netsentry-procfs-'));
      await mkdir(join(root, 'sys/net/netfilter'), { recursive: true });
      await mkdir(join(root, 'net/stat'), { recursive: true });
      for (const dir of ['', 'sys', 'sys/net', 'sys/net/netfilter', 'net', 'net/stat']) await chmod(join(root, dir), 0o755);
      await symlink('/proc/sys/net/ipv4', join(root, 'sys/net/ipv4'));
      max = Number((await s.lab.exec(ns, ['cat', '/proc/sys/net/netfilter/nf_conntrack_max'])).trim());
      await writeFile(join(root, 'sys/net/netfilter/nf_conntrack_max'), `${max}\n`, { mode: 0o644 });
      await writeFile(join(root, 'net/stat/nf_conntrack'), await s.lab.exec(ns, ['cat', '/proc/net/stat/nf_conntrack']), { mode: 0o644 });
      await setCount(Number((await s.lab.exec(ns, ['cat', '/proc/sys/net/netfilter/nf_conntrack_count'])).trim()));
      // Its host agent reads the double, and verifies every 2 s (a probe interval) instead of every 30 s.
      await s.stopAgent(node);
      await s.startAgent(node, ['--proc-root', root, '--verify-interval', '2s']);
      return () => rm(root, { recursive: true, force: true });
    },
    apply: () => setCount(Math.ceil(max * 0.95)),
    repair: () => setCount(100),
  };
}

export const precisionFaults: PrecisionFault[] = [
  {
    name: 'node-2 overlay routes deleted (seed 002)',
    nodes: ['node-2'],
    diagnosis: ['OverlayRouteMissing'],
    apply: (s) => s.lab.deleteOverlayRoutes('node-2'),
    repair: (s) => s.lab.restoreOverlay('node-2'),
  },
  {
    name: 'node-3 FDB entry for node-1 deleted',
    nodes: ['node-3'],
    diagnosis: ['OverlayRouteMissing'],
    apply: (s) => s.lab.deleteFdbEntry('node-3', 'node-1'),
    repair: (s) => s.lab.restoreOverlay('node-3'),
  },
  {
    name: 'node-4 neighbor entry for node-2 has a wrong MAC',
    nodes: ['node-4'],
    diagnosis: ['OverlayRouteMissing'],
    apply: (s) => s.lab.setNeighborMac('node-4', 'node-2', wrongMac),
    repair: (s) => s.lab.restoreOverlay('node-4'),
  },
  {
    name: 'node-2 flannel.1 set down',
    nodes: ['node-2'],
    diagnosis: ['LinkDown'],
    apply: (s) => s.lab.setLinkState('node-2', 'flannel.1', false),
    repair: (s) => s.lab.clearFaults('node-2'),
  },
  {
    name: 'node-3 pod bridge cni0 set down',
    nodes: ['node-3'],
    diagnosis: ['LinkDown'],
    apply: (s) => s.lab.setLinkState('node-3', 'cni0', false),
    repair: (s) => s.lab.clearFaults('node-3'),
  },
  {
    name: 'node-3 drops UDP with nft (VXLAN spared)',
    nodes: ['node-3'],
    diagnosis: ['ProtocolBlocked'],
    apply: (s) => s.lab.dropUdp('node-3'),
    repair: (s) => s.lab.clearFaults('node-3'),
  },
  {
    name: 'node-4 underlay MTU 1450 (black hole)',
    nodes: ['node-4'],
    diagnosis: ['MtuBlackhole'],
    apply: (s) => s.lab.setMtu(s.lab.node('node-4').ns, 'eth0', 1450),
    repair: (s) => s.lab.setMtu(s.lab.node('node-4').ns, 'eth0', 1500),
  },
  oneWay('node-1', 'node-2'),
  {
    // flannel.1 recreated with a new MAC: node-2 re-announces it, every peer still holds the old one.
    name: 'node-2 VTEP MAC changed, peers keep the old one',
    nodes: ['node-2'],
    diagnosis: ['OverlayPeerDisagreement'],
    apply: (s) => s.lab.exec(s.lab.node('node-2').ns, ['ip', 'link', 'set', 'dev', 'flannel.1', 'address', movedMac]),
    // The MAC back, then what a flannel restart does: every node's overlay entries re-programmed.
    repair: async (s) => {
      await s.lab.exec(s.lab.node('node-2').ns, ['ip', 'link', 'set', 'dev', 'flannel.1', 'address', s.lab.node('node-2').vtepMac]);
      await Promise.all(s.lab.nodes.map((n) => s.lab.restoreOverlay(n.name)));
    },
  },
  {
    name: 'node-4 host agent killed (SIGKILL), restarted',
    nodes: ['node-4'],
    diagnosis: ['AgentMissing'],
    apply: (s) => s.stopAgent('node-4', 'SIGKILL'),
    repair: (s) => s.startAgent('node-4'),
  },
  conntrackFull('node-1'),
  {
    // The CNI restarting: flannel deletes and recreates its device (same MAC) and re-programs the node.
    name: "node-2's CNI restarts: flannel.1 deleted and recreated",
    nodes: [],
    diagnosis: [],
    concluded: async (s) => (await nodesView(s)).nodes.some((n) => n.name === 'node-2' && n.state === 'settling'),
    holdMs: 1_000,
    apply: (s) => s.lab.exec(s.lab.node('node-2').ns, ['ip', 'link', 'del', 'flannel.1']),
    repair: async (s) => {
      await s.lab.createOverlayDevice('node-2');
      await s.lab.restoreOverlay('node-2');
    },
    recovered: allVerified,
  },
  {
    // Leaving: its agents stop and every peer's flannel removes its route, neighbor and FDB
    // entry (the Node deleted). Joining again: its agent starts before its CNI, which then
    // creates the device and programs the node, and the peers program it.
    name: 'node-4 leaves the cluster, then joins again (agent before CNI)',
    nodes: [],
    diagnosis: [],
    concluded: async (s) => {
      const view = await nodesView(s);
      return view.departed.some((d) => d.name === 'node-4') && !view.nodes.some((n) => n.name === 'node-4');
    },
    holdMs: 3_000,
    apply: async (s) => {
      await s.stopAgent('node-4');
      await s.podAgents.get('node-4')?.stop('SIGTERM');
      s.podAgents.delete('node-4');
      await Promise.all(peersOf(s, 'node-4').map((peer) => s.lab.removePeers(peer, ['node-4'])));
    },
    repair: async (s) => {
      await s.lab.exec(s.lab.node('node-4').ns, ['ip', 'link', 'del', 'flannel.1']);
      await s.startAgent('node-4');
      await s.startPodAgent('node-4');
      await s.lab.createOverlayDevice('node-4');
      await Promise.all(s.lab.nodes.map((n) => s.lab.restoreOverlay(n.name)));
    },
    recovered: allVerified,
  },
];

/**
 * What the precision test runs: every fault, or with NETSENTRY_PRECISION_FAULTS=3,6 those
 * (1-based, in the order above) for a focused run.
 */
export const precisionSuiteFaults = (): PrecisionFault[] => {
  const only = process.env.NETSENTRY_PRECISION_FAULTS;
  if (!only || only === 'all') return precisionFaults;
  return precisionFaults.filter((_, i) => only.split(',').includes(String(i + 1)));
};
