// The netns lab: a real flannel-style VXLAN overlay on this machine (see README.md).
// createLab builds it, the Lab breaks and repairs it with real kernel changes, and
// teardown removes every trace. Only 192.0.2.0/24 and 198.18.0.0/15 are used, only
// inside namespaces the lab created, plus one root veth (192.0.2.1/24).
import { fileURLToPath } from 'node:url';
import { cleanupStaleLabs, deleteLabLinks, killLeftovers, listNetns } from './cleanup.ts';
import {
  POD_BRIDGE,
  UNDERLAY_GATEWAY_IP,
  VXLAN_DEVICE,
  VXLAN_PORT,
  createLabId,
  createLabNames,
  type LabNames,
  type LabNode,
  type LabPod,
} from './naming.ts';
import { rootUnderlayConflict } from './gateway.ts';
import { DNS_PORT, checkDnsName, dnsmasqArgv, isLabAddress, type DnsAnswer, type DnsmasqOptions } from './dns.ts';
import {
  createBuildPlan,
  nftDropUdpScript,
  nftRemoveScript,
  overlayMtu,
  peerFdbLine,
  peerIpLines,
  underlayPort,
  vxlanDeviceLines,
  type NftHook,
} from './plan.ts';
import { parsePingOutput, type PingRtt } from './ping.ts';
import { createProcessRegistry, type LabProcess, type StartOptions } from './processes.ts';
import { CommandError, bridgeBatch, ipBatch, isAlreadyGone, run } from './run.ts';
import { acquireLabLock, processRef, readAllStates, releaseLabLock, removeState, writeState, type LabState } from './state.ts';

export type { LabNode, LabPod } from './naming.ts';
export type { LabProcess, StartOptions } from './processes.ts';
export type { DnsAnswer, DnsmasqOptions } from './dns.ts';
export type { NftHook } from './plan.ts';
export type { PingRtt } from './ping.ts';
export { cleanupStaleLabs } from './cleanup.ts';

export interface Lab {
  id: string;
  prefix: string;
  nodes: LabNode[];
  underlayGatewayIp: '192.0.2.1';
  /**
   * Namespace that holds 192.0.2.1, or null when it is the root namespace (veth `<id>u`).
   * Start the collector with `lab.start(lab.gatewayNs, …)`; it is non-null on machines
   * whose own network already uses 192.0.2.0/24 (see gateway.ts).
   */
  gatewayNs: string | null;
  /** Wall-clock milliseconds createLab spent building the topology (after locking and stale cleanup). */
  buildMs: number;
  /** By node name (`node-1`) or its namespace. */
  node(name: string): LabNode;
  /** `ip netns exec ns argv…` (root namespace when null); resolves stdout, rejects with stderr. */
  exec(ns: string | null, argv: string[]): Promise<string>;
  start(ns: string | null, argv: string[], opts?: StartOptions): LabProcess;
  /** One bounded `ping -c 1 -W <s>` from ns; true if a reply came back. */
  ping(ns: string, ip: string, timeoutSeconds?: number): Promise<boolean>;
  /** HTTP request to 192.0.2.1:port from wherever 192.0.2.1 lives (works in both placements). */
  http(port: number, path: string, init?: LabHttpInit): Promise<LabHttpResponse>;
  deleteOverlayRoutes(node: string, peers?: string[]): Promise<void>;
  restoreOverlay(node: string): Promise<void>;
  /** What flannel does when it starts on `node`: its VXLAN device as the lab built it (VTEP MAC, MTU, address); no peer entries. */
  createOverlayDevice(node: string): Promise<void>;
  /** What flannel on `node` does when `peers`' Node objects are deleted: their route, neighbor and FDB entries go. */
  removePeers(node: string, peers: string[]): Promise<void>;
  deleteFdbEntry(node: string, peer: string): Promise<void>;
  deleteNeighbor(node: string, peer: string): Promise<void>;
  setNeighborMac(node: string, peer: string, mac: string): Promise<void>;
  setLinkState(node: string, device: string, up: boolean): Promise<void>;
  setMtu(ns: string, device: string, mtu: number): Promise<void>;
  /** The underlay bridge's namespace (`<prefix>underlay`). */
  underlayNs: string;
  /** By pod name (`node-1-pod-1`) or its namespace. */
  pod(name: string): LabPod;
  /**
   * dnsmasq in the foreground inside a pod namespace (pod name or ns; a node name/ns puts it
   * on the node's underlay IP), answering only `records` (name → 192.0.2.x / 198.18.x.y),
   * NXDOMAIN for everything else, never forwarding. Resolves once it answers (≤ 5 s).
   */
  startDns(pod: string, records: Record<string, string>, opts?: DnsmasqOptions): Promise<LabDns>;
  /** One hand-built A query from inside `ns` to server:53 over UDP (default) or TCP; rejects on timeout. */
  dnsQuery(ns: string, server: string, name: string, opts?: DnsQueryOptions): Promise<DnsQueryResult>;
  /**
   * nftables table `inet netsentry_lab` in a node's (or pod's) namespace whose input and
   * output chains drop UDP unless the destination or source port is in exceptPorts
   * (default [8472], the VXLAN port, so the overlay keeps working). Replaces an earlier one.
   */
  dropUdp(node: string, options?: DropUdpOptions): Promise<void>;
  /** Deletes the `netsentry_lab` table (no error if absent). */
  removeNftTable(node: string): Promise<void>;
  /**
   * Puts a node back as built: nft table gone (node and its pods), every link up with its
   * built MTU (underlay port, eth0, flannel.1, cni0, pod veths, pods' eth0 + default
   * route), overlay route/neigh/FDB per peer restored.
   */
  clearFaults(node: string): Promise<void>;
  /** Name of the node's port on the underlay bridge (in `underlayNs`), e.g. `n4`. */
  underlayPort(node: string): string;
  /** MTU of the node's underlay bridge port: a black hole mid-path (no ICMP), node eth0 unchanged. */
  setUnderlayPortMtu(node: string, mtu: number): Promise<void>;
  /** Bounded `ping -n -c count -i interval -W 1 -w deadline` from ns; per-reply RTTs. */
  pingRtt(ns: string, ip: string, count?: number, intervalSeconds?: number): Promise<PingRtt>;
  teardown(): Promise<void>;
}

export interface LabDns {
  process: LabProcess;
  /** The address dnsmasq listens on (the pod's IP). */
  address: string;
  port: 53;
}

export interface DnsQueryOptions {
  tcp?: boolean;
  /** Per try. Default 2000 ms. */
  timeoutMs?: number;
  /** Keep retrying every 100 ms until an answer or this many ms. Default 0 (one try). */
  retryMs?: number;
}

export interface DnsQueryResult extends DnsAnswer {
  /** Round trip of the answered try, ms (inside the namespace, excludes process start). */
  ms: number;
  tries: number;
}

export interface DropUdpOptions {
  /** UDP ports (destination or source) still allowed. Default [8472]. */
  exceptPorts?: number[];
  /** Hooks to filter. Default ['input', 'output'] (the node's own UDP; forwarded pod traffic passes). */
  hooks?: NftHook[];
}

export interface LabHttpInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface LabHttpResponse {
  status: number;
  body: string;
}

export interface LabLogger {
  info(...a: unknown[]): void;
}

export interface CreateLabOptions {
  nodes?: number;
  podsPerNode?: number;
  underlayMtu?: number;
  logger?: LabLogger;
  /** How long to wait for another live lab to finish before failing. Default 120 s. */
  lockTimeoutMs?: number;
  /**
   * Where 192.0.2.1 lives. 'root': a veth in the root namespace (fails if the root namespace
   * already uses 192.0.2.0/24); 'netns': a `<prefix>gateway` namespace; 'auto' (default):
   * root unless that conflicts.
   */
  gateway?: 'auto' | 'root' | 'netns';
}

const DNS_SCRIPT = fileURLToPath(new URL('./dns.ts', import.meta.url));
const DNS_READY_TIMEOUT_MS = 5_000;

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;
const DEVICE_PATTERN = /^[A-Za-z0-9_.@-]{1,15}$/;

async function pickId(): Promise<string> {
  const taken = new Set((await readAllStates()).map((s) => s.id));
  for (const ns of await listNetns()) taken.add(ns.slice(0, 7));
  for (let i = 0; i < 20; i++) {
    const id = createLabId();
    if (!taken.has(id)) return id;
  }
  throw new Error('could not pick an unused lab id');
}

async function build(names: LabNames, underlayMtu: number): Promise<void> {
  const plan = createBuildPlan(names, underlayMtu);
  await ipBatch(null, plan.root);
  const jobs: Promise<unknown>[] = [];
  for (const [ns, lines] of plan.ip) {
    const fdb = plan.bridge.get(ns);
    jobs.push(ipBatch(ns, lines).then(() => (fdb ? bridgeBatch(ns, fdb) : '')));
  }
  for (const ns of plan.forwarding) {
    jobs.push(run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']));
  }
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  await waitForBridgePorts([names.underlayNs, ...names.nodes.filter((n) => n.pods.length > 0).map((n) => n.ns)]);
}

/**
 * A new veth's operstate (and so its bridge port state) follows the kernel's linkwatch,
 * which may lag up to ~1 s: until then the port is "disabled" and drops frames. Wait,
 * bounded, until every bridge port in `namespaces` forwards.
 */
async function waitForBridgePorts(namespaces: string[], timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending = namespaces;
  let lastBlocked: string[] = [];
  for (let i = 0; i < 200 && pending.length > 0; i++) {
    const checks = await Promise.all(
      pending.map(async (ns) => {
        const ports = JSON.parse(await run(['bridge', '-n', ns, '-j', 'link', 'show'])) as { ifname?: string; state?: string }[];
        const blocked = ports.filter((p) => p.state !== 'forwarding').map((p) => `${ns}/${p.ifname ?? '?'}:${p.state ?? '?'}`);
        return { ns, blocked };
      }),
    );
    lastBlocked = checks.flatMap((c) => c.blocked);
    pending = checks.filter((c) => c.blocked.length > 0).map((c) => c.ns);
    if (pending.length === 0) return;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  if (pending.length > 0) throw new Error(`bridge ports not forwarding after ${timeoutMs} ms: ${lastBlocked.join(', ')}`);
}

export async function createLab(options: CreateLabOptions = {}): Promise<Lab> {
  const nodeCount = options.nodes ?? 4;
  const podsPerNode = options.podsPerNode ?? 1;
  const underlayMtu = options.underlayMtu ?? 1500;
  if (!Number.isInteger(underlayMtu) || underlayMtu < 1280 || underlayMtu > 9000) {
    throw new Error(`underlayMtu must be an integer in 1280..9000, got ${underlayMtu}`);
  }
  if (process.getuid?.() !== 0) throw new Error('the netns lab needs root');
  createLabNames('nsl0000', nodeCount, podsPerNode); // validate before touching anything
  const log = options.logger;

  const id = await pickId();
  await acquireLabLock(id, options.lockTimeoutMs ?? 120_000);
  let names: LabNames;
  let state: LabState;
  try {
    const removed = await cleanupStaleLabs();
    if (removed.length > 0) log?.info({ removed }, 'removed stale labs');
    const conflict = await rootUnderlayConflict();
    const wanted = options.gateway ?? 'auto';
    if (wanted === 'root' && conflict !== null) {
      throw new Error(`cannot put 192.0.2.1 in the root namespace: ${conflict}`);
    }
    const placement = wanted === 'netns' || conflict !== null ? 'netns' : 'root';
    if (placement === 'netns' && wanted === 'auto') log?.info({ reason: conflict }, '192.0.2.1 goes into a gateway namespace');
    names = createLabNames(id, nodeCount, podsPerNode, placement);
    state = {
      id,
      prefix: names.prefix,
      owner: processRef(process.pid),
      createdAt: new Date().toISOString(),
      netns: names.allNs,
      rootVeth: names.rootVeth,
      processes: [],
    };
    await writeState(state); // before any namespace exists: never mistaken for stale
  } catch (err) {
    await releaseLabLock(id);
    throw err;
  }
  const lab = createLabHandle(names, state, log, underlayMtu);
  const t0 = performance.now();
  try {
    await build(names, underlayMtu);
  } catch (err) {
    await lab.teardown().catch(() => {});
    throw err;
  }
  lab.buildMs = Math.round(performance.now() - t0);
  log?.info({ id, nodes: nodeCount, podsPerNode, buildMs: lab.buildMs }, 'lab built');
  return lab;
}

function createLabHandle(names: LabNames, state: LabState, log: LabLogger | undefined, underlayMtu: number): Lab {
  const labNs = new Set(names.allNs);
  let stateWrites: Promise<void> = Promise.resolve();
  let tornDown: Promise<void> | null = null;
  const registry = createProcessRegistry({
    onChange: (pids) => {
      if (tornDown) return;
      const known = new Map(state.processes.map((p) => [p.pid, p]));
      state.processes = pids.map((pid) => known.get(pid) ?? processRef(pid));
      const snapshot = structuredClone(state);
      stateWrites = stateWrites.then(() => writeState(snapshot)).catch(() => {});
    },
  });

  function node(name: string): LabNode {
    const found = names.nodes.find((n) => n.name === name || n.ns === name);
    if (!found)
      throw new Error(`lab ${names.id} has no node ${JSON.stringify(name)} (nodes: ${names.nodes.map((n) => n.name).join(', ')})`);
    return found;
  }

  function checkNs(ns: string | null): string | null {
    if (ns !== null && !labNs.has(ns)) throw new Error(`${JSON.stringify(ns)} is not a namespace of lab ${names.id}`);
    return ns;
  }

  function pod(name: string): LabPod {
    for (const n of names.nodes) {
      const found = n.pods.find((p) => p.name === name || p.ns === name);
      if (found) return found;
    }
    throw new Error(`lab ${names.id} has no pod ${JSON.stringify(name)}`);
  }

  /** A lab namespace, a node name or a pod name → namespace. */
  function resolveNs(nsOrName: string): string {
    if (labNs.has(nsOrName)) return nsOrName;
    if (/-pod-\d+$/.test(nsOrName)) return pod(nsOrName).ns;
    return node(nsOrName).ns;
  }

  /** The address a server in this namespace listens on: pod IP, node underlay IP, or 192.0.2.1. */
  function addressOf(ns: string): string {
    for (const n of names.nodes) {
      if (n.ns === ns) return n.underlayIp;
      const p = n.pods.find((x) => x.ns === ns);
      if (p) return p.ip;
    }
    if (ns === names.gatewayNs) return UNDERLAY_GATEWAY_IP;
    throw new Error(`${ns} has no address to serve on`);
  }

  async function dnsQuery(ns: string, server: string, name: string, opts: DnsQueryOptions = {}): Promise<DnsQueryResult> {
    if (!isLabAddress(server)) throw new Error(`DNS server ${server} is not a lab address`);
    checkDnsName(name);
    const timeoutMs = opts.timeoutMs ?? 2_000;
    const retryMs = opts.retryMs ?? 0;
    if (!(timeoutMs > 0 && timeoutMs <= 60_000) || !(retryMs >= 0 && retryMs <= 60_000))
      throw new Error('dnsQuery: timeoutMs/retryMs out of range');
    const argv = [
      'ip',
      'netns',
      'exec',
      resolveNs(ns),
      process.execPath,
      DNS_SCRIPT,
      'query',
      server,
      name,
      opts.tcp ? 'tcp' : 'udp',
      String(timeoutMs),
      String(retryMs),
    ];
    const out = await run(argv, undefined, timeoutMs + retryMs + 15_000);
    return JSON.parse(out) as DnsQueryResult;
  }

  function checkDevice(device: string): string {
    if (!DEVICE_PATTERN.test(device)) throw new Error(`bad device name ${JSON.stringify(device)}`);
    return device;
  }

  function peersOf(n: LabNode, peers?: string[]): LabNode[] {
    if (peers === undefined) return names.nodes.filter((p) => p.index !== n.index);
    return peers.map((p) => {
      const peer = node(p);
      if (peer.index === n.index) throw new Error(`${p} is ${n.name} itself, not a peer`);
      return peer;
    });
  }

  /** Deletes tolerate "already gone" so faults can be applied twice. */
  async function tolerant(job: Promise<string>): Promise<void> {
    try {
      await job;
    } catch (err) {
      if (!isAlreadyGone(err)) throw err;
    }
  }

  const lab: Lab = {
    id: names.id,
    prefix: names.prefix,
    nodes: names.nodes,
    underlayGatewayIp: UNDERLAY_GATEWAY_IP,
    gatewayNs: names.gatewayNs,
    buildMs: 0,
    node,
    async exec(ns, argv) {
      if (argv.length === 0) throw new Error('exec: empty argv');
      const target = checkNs(ns);
      return run(target === null ? argv : ['ip', 'netns', 'exec', target, ...argv]);
    },
    start(ns, argv, opts) {
      if (tornDown) throw new Error(`lab ${names.id} is torn down`);
      return registry.start(checkNs(ns), argv, opts);
    },
    async ping(ns, ip, timeoutSeconds = 1) {
      const wait = String(Math.max(1, Math.ceil(timeoutSeconds)));
      try {
        await run(
          ['ip', 'netns', 'exec', resolveNs(ns), 'ping', '-n', '-q', '-c', '1', '-W', wait, ip],
          undefined,
          (Number(wait) + 5) * 1000,
        );
        return true;
      } catch {
        return false;
      }
    },
    async http(port, path, init = {}) {
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`bad port ${port}`);
      if (!path.startsWith('/')) throw new Error(`path must start with /: ${path}`);
      const url = `http://${UNDERLAY_GATEWAY_IP}:${port}${path}`;
      const timeoutMs = init.timeoutMs ?? 5_000;
      const request = { method: init.method ?? 'GET', body: init.body, headers: init.headers ?? {} };
      if (names.gatewayNs === null) {
        const res = await fetch(url, { ...request, signal: AbortSignal.timeout(timeoutMs) });
        return { status: res.status, body: await res.text() };
      }
      const out = await run(
        [
          'ip',
          'netns',
          'exec',
          names.gatewayNs,
          process.execPath,
          '--input-type=module',
          '-e',
          HTTP_SCRIPT,
          url,
          JSON.stringify(request),
          String(timeoutMs),
        ],
        undefined,
        timeoutMs + 10_000,
      );
      return JSON.parse(out) as LabHttpResponse;
    },
    async deleteOverlayRoutes(name, peers) {
      const n = node(name);
      const lines = peersOf(n, peers).map((p) => `route del ${p.podCidr} dev ${VXLAN_DEVICE}`);
      await tolerant(ipBatch(n.ns, lines, { force: true }));
    },
    async createOverlayDevice(name) {
      await ipBatch(node(name).ns, vxlanDeviceLines(node(name), overlayMtu(underlayMtu)));
    },
    async restoreOverlay(name) {
      const n = node(name);
      const peers = peersOf(n);
      await ipBatch(
        n.ns,
        peers.flatMap((p) => peerIpLines(p, 'replace')),
      );
      await bridgeBatch(
        n.ns,
        peers.map((p) => peerFdbLine(p, 'replace')),
      );
    },
    async removePeers(name, peers) {
      const n = node(name);
      for (const p of peersOf(n, peers)) {
        await tolerant(ipBatch(n.ns, [`route del ${p.podCidr} dev ${VXLAN_DEVICE}`]));
        await tolerant(ipBatch(n.ns, [`neigh del ${p.vtepIp} dev ${VXLAN_DEVICE}`]));
        await tolerant(bridgeBatch(n.ns, [peerFdbLine(p, 'del')]));
      }
    },
    async deleteFdbEntry(name, peer) {
      const n = node(name);
      const [p] = peersOf(n, [peer]);
      await tolerant(bridgeBatch(n.ns, [peerFdbLine(p as LabNode, 'del')]));
    },
    async deleteNeighbor(name, peer) {
      const n = node(name);
      const [p] = peersOf(n, [peer]);
      await tolerant(ipBatch(n.ns, [`neigh del ${(p as LabNode).vtepIp} dev ${VXLAN_DEVICE}`]));
    },
    async setNeighborMac(name, peer, mac) {
      if (!MAC_PATTERN.test(mac)) throw new Error(`bad MAC ${JSON.stringify(mac)}`);
      const n = node(name);
      const [p] = peersOf(n, [peer]);
      await ipBatch(n.ns, [`neigh replace ${(p as LabNode).vtepIp} lladdr ${mac} dev ${VXLAN_DEVICE} nud permanent`]);
    },
    async setLinkState(name, device, up) {
      await ipBatch(resolveNs(name), [`link set dev ${checkDevice(device)} ${up ? 'up' : 'down'}`]);
    },
    async setMtu(ns, device, mtu) {
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`bad MTU ${mtu}`);
      await ipBatch(resolveNs(ns), [`link set dev ${checkDevice(device)} mtu ${mtu}`]);
    },
    underlayNs: names.underlayNs,
    pod,
    async startDns(where, records, opts) {
      const ns = resolveNs(where);
      const address = addressOf(ns);
      const argv = dnsmasqArgv(address, records, opts);
      const proc = lab.start(ns, argv, { name: `dnsmasq@${ns}` });
      const exited = proc.exited.then((code) => {
        throw new Error(`dnsmasq in ${ns} exited (${code}) before answering: ${proc.output().trim()}`);
      });
      exited.catch(() => {}); // only meaningful in the race below
      try {
        await Promise.race([dnsQuery(ns, address, 'ready.netsentry-lab', { timeoutMs: 500, retryMs: DNS_READY_TIMEOUT_MS }), exited]);
      } catch (err) {
        await proc.stop('SIGTERM', 2_000);
        throw err;
      }
      return { process: proc, address, port: DNS_PORT };
    },
    dnsQuery,
    async dropUdp(where, options = {}) {
      const script = nftDropUdpScript(options.exceptPorts ?? [VXLAN_PORT], options.hooks);
      await run(['ip', 'netns', 'exec', resolveNs(where), 'nft', '-f', '-'], script);
    },
    async removeNftTable(where) {
      await run(['ip', 'netns', 'exec', resolveNs(where), 'nft', '-f', '-'], nftRemoveScript());
    },
    async clearFaults(name) {
      const n = node(name);
      const inner = overlayMtu(underlayMtu);
      await Promise.all([n.ns, ...n.pods.map((p) => p.ns)].map((ns) => lab.removeNftTable(ns)));
      await ipBatch(names.underlayNs, [`link set dev ${underlayPort(n)} mtu ${underlayMtu} up`]);
      await ipBatch(n.ns, [
        `link set dev eth0 mtu ${underlayMtu} up`,
        `link set dev ${VXLAN_DEVICE} mtu ${inner} up`,
        `link set dev ${POD_BRIDGE} mtu ${inner} up`,
        ...n.pods.map((_, i) => `link set dev veth${i + 1} mtu ${inner} up`),
      ]);
      await Promise.all(
        n.pods.map((p) => ipBatch(p.ns, [`link set dev eth0 mtu ${inner} up`, `route replace default via ${n.podGateway} dev eth0`])),
      );
      await lab.restoreOverlay(n.name);
    },
    underlayPort(name) {
      return underlayPort(node(name));
    },
    async setUnderlayPortMtu(name, mtu) {
      if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new Error(`bad MTU ${mtu}`);
      await ipBatch(names.underlayNs, [`link set dev ${underlayPort(node(name))} mtu ${mtu}`]);
    },
    async pingRtt(ns, ip, count = 20, intervalSeconds = 0.2) {
      if (!isLabAddress(ip)) throw new Error(`${ip} is not a lab address`);
      if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error(`bad count ${count}`);
      if (!(intervalSeconds >= 0.002 && intervalSeconds <= 10)) throw new Error(`bad interval ${intervalSeconds}`);
      const deadline = Math.ceil(count * intervalSeconds) + 2;
      const argv = [
        'ip',
        'netns',
        'exec',
        resolveNs(ns),
        'ping',
        '-n',
        '-c',
        String(count),
        '-i',
        String(intervalSeconds),
        '-W',
        '1',
        '-w',
        String(deadline),
        ip,
      ];
      let out: string;
      try {
        out = await run(argv, undefined, (deadline + 10) * 1000);
      } catch (err) {
        // Exit 1: fewer replies than requests (still a measurement); anything else is an error.
        if (!(err instanceof CommandError) || err.exitCode !== 1) throw err;
        out = err.stdout;
      }
      return parsePingOutput(out);
    },
    teardown() {
      tornDown ??= (async () => {
        const recorded = state.processes;
        await registry.stopAll();
        await killLeftovers(recorded, names.allNs);
        await deleteLabLinks(names.rootVeth, names.allNs);
        await stateWrites;
        await removeState(names.id);
        await releaseLabLock(names.id);
        log?.info({ id: names.id }, 'lab torn down');
      })();
      return tornDown;
    },
  };
  return lab;
}

/** Runs inside the gateway namespace: one bounded fetch, result as JSON on stdout. */
const HTTP_SCRIPT = `
const [url, req, ms] = process.argv.slice(1);
const r = JSON.parse(req);
const res = await fetch(url, { method: r.method, body: r.body, headers: r.headers, signal: AbortSignal.timeout(Number(ms)) });
process.stdout.write(JSON.stringify({ status: res.status, body: await res.text() }));
`;

const SIGNAL_EXIT: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/** SIGINT/SIGTERM/SIGHUP → teardown, then exit 130/143/129. Returns a function that uninstalls. */
export function installSignalTeardown(lab: Lab): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const uninstall = (): void => {
    for (const [sig, h] of handlers) process.off(sig, h);
    handlers.clear();
  };
  for (const sig of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    const handler = (): void => {
      uninstall();
      // A second signal while tearing down must not kill us half-way: ignore it.
      for (const s of Object.keys(SIGNAL_EXIT)) process.on(s, () => {});
      const code = SIGNAL_EXIT[sig] ?? 1;
      lab.teardown().then(
        () => process.exit(code),
        () => process.exit(code),
      );
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  return uninstall;
}
