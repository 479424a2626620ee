// The host agent: describes its node, verifies the overlay against the collector's peer set
// on every netlink change, peer-set change and a slow periodic pass, and streams the result.
import { create, equals } from '@bufbuild/protobuf';
import {
  ConnectRequestSchema,
  HelloSchema,
  type Hello,
  type Peer,
  type PeerSet,
} from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import { Network, NodeReportSchema, type NodeReport } from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { cidrContains } from '../../../shared/src/cidr.ts';
import { version } from '../../../shared/src/version.ts';
import { createPassReader } from '../kernel/pass-reader.ts';
import type { KernelReader } from '../kernel/types.ts';
import { describeSelf, type SelfDescription, type SelfOverrides } from '../overlay/self-description.ts';
import { getOverlayBackend } from '../overlay/registry.ts';
import { toOverlayDevice } from '../overlay/overlay-device.ts';
import { createNodeReportCollector } from '../node-state/collect-node-report.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { createLinkCounterReader, type LinkCounterReader } from '../node-state/link-counters.ts';

export interface HostAgentOptions {
  nodeName: string;
  reader: KernelReader;
  logger: Logger;
  overrides: SelfOverrides;
  probeAddress: string;
  probePort: number;
  verifyIntervalMs: number;
  netlinkDebounceMs: number;
  /** Where reports go; reconnect re-announces the node when its overlay device appears or changes. */
  uplink: Pick<Uplink, 'send' | 'reconnect'>;
  /**
   * --pod-network-probes via-overlay: this agent answers for its node's pod network (the node
   * runs no pod agent). The hello names the overlay device's address (flannel.1's), where peers
   * probe it through the overlay; an address that appears or changes later re-announces the node.
   */
  answersForPodNetwork?: boolean;
  /** Error and drop counters of the watched links (default: /sys/class/net). */
  linkCounters?: LinkCounterReader;
}

export interface HostAgent {
  readonly hello: () => Hello;
  /** What the agent found about its node (overlay and underlay MTUs for the prober). */
  readonly self: SelfDescription;
  /** The current peers, host and pod agents of other nodes. */
  peers(): readonly Peer[];
  /** The peer set without this node (create-agent.ts drops it). */
  onPeerSet(peerSet: PeerSet): void;
  onConnected(reportIntervalSeconds: number): void;
  onNetlinkChange(): void;
  /** Resolves once no verification is running, queued or waiting out the netlink debounce. */
  whenIdle(): Promise<void>;
  stop(): void;
}

/** Comparable form of a report: what a reader of findings cares about, without timestamps. */
function reportFingerprint(report: NodeReport): NodeReport {
  return create(NodeReportSchema, {
    overlay: report.overlay ? { ...report.overlay, durationSeconds: 0 } : undefined,
    links: report.links,
    unavailable: report.unavailable,
    peerSetGeneration: report.peerSetGeneration,
  });
}

export async function createHostAgent(options: HostAgentOptions): Promise<HostAgent> {
  const log = options.logger.child({ component: 'host-agent' });
  const [links, routes] = await Promise.all([options.reader.links(), options.reader.routes()]);
  let self = describeSelf(links, routes, options.overrides);
  for (const note of self.notes) log.info({ note }, 'node self-description');
  // Within one verification pass, re-detection and the report share one read of the link,
  // route and neighbor tables: one `ip` spawn per pass (kernel/pass-reader.ts).
  const pass = createPassReader(options.reader);
  // One reader for the agent's life: its rates span verification passes.
  const linkCounters = options.linkCounters ?? createLinkCounterReader();
  const reader = pass.reader;
  const collectorFor = (description: SelfDescription) =>
    createNodeReportCollector({
      reader,
      backend: getOverlayBackend(description.overlay.kind),
      self: description,
      logger: options.logger,
      now: Date.now,
      linkCounters,
    });
  let collector = collectorFor(self);
  // With --overlay auto the agent may start before the CNI creates its device (a node
  // booting, seed 000): keep looking, and re-announce the node once the device appears.
  const detecting = (options.overrides.overlay ?? 'auto') === 'auto';
  // flannel addresses flannel.1 after creating it, and the pod CIDR may come from a bridge made later: peers learn them then.
  // A device that vanishes keeps its last address announced, as a pod agent would stay in the
  // peer sets: peers' probes to it then fail, and LinkDown on this node explains that.
  const redetectPodProbeAddress = async (): Promise<void> => {
    if (!options.answersForPodNetwork) return;
    const found = describeSelf(await reader.links(), await reader.routes(), options.overrides);
    const overlayIp = found.overlayIp;
    const podCidrs = found.podCidrs.length > 0 ? found.podCidrs : self.podCidrs;
    if (!overlayIp || (overlayIp === self.overlayIp && podCidrs.join() === self.podCidrs.join())) return;
    self = { ...self, podCidrs, overlayIp };
    collector = collectorFor(self);
    log.info({ overlayIp, podCidrs }, 'pod-network probe address changed; re-announcing this node');
    options.uplink.reconnect('pod-network probe address changed');
  };
  // A device just created may still get its MAC and MTU set (flannel creates, then
  // configures it; a recreated device gets a new MAC): peers must learn the real ones.
  const redetect = async (): Promise<void> => {
    await redetectPodProbeAddress();
    if (!detecting) return;
    if (self.overlay.kind === 'flannel-vxlan') {
      const device = (await reader.links()).find((l) => l.name === self.overlay.name);
      if (!device || (device.mac === self.overlay.vtepMac && device.mtu === self.overlay.mtu)) return;
    } else if (self.overlay.kind !== 'none') return;
    const [nowLinks, nowRoutes] = await Promise.all([reader.links(), options.reader.routes()]);
    const found = describeSelf(nowLinks, nowRoutes, options.overrides);
    if (found.overlay.kind === 'none') return;
    const appeared = self.overlay.kind === 'none';
    self = found;
    collector = collectorFor(found);
    const reason = appeared ? 'overlay device appeared' : 'overlay device changed';
    log.info(
      { overlay: found.overlay.kind, device: found.overlay.name, vtepMac: found.overlay.vtepMac, mtu: found.overlay.mtu },
      `${reason}; re-announcing this node`,
    );
    options.uplink.reconnect(reason);
  };
  log.info(
    {
      overlay: self.overlay.kind,
      device: self.overlay.name,
      vtepMac: self.overlay.vtepMac,
      podCidrs: self.podCidrs,
      underlayIp: self.underlayIp,
    },
    'host agent started',
  );

  let peers: Peer[] = [];
  let generation = 0n;
  let lastSent: NodeReport | undefined;
  let running = false;
  let pendingTrigger: string | undefined;
  let debounceTimer: NodeJS.Timeout | undefined;
  let periodicTimer: NodeJS.Timeout | undefined;
  let reportIntervalMs = 30_000;
  let lastSentAt = 0;
  const abort = new AbortController();
  let idleWaiters: Array<() => void> = [];
  const idle = (): boolean => !running && pendingTrigger === undefined && debounceTimer === undefined;
  const settleIdle = (): void => {
    if (!idle() && !abort.signal.aborted) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  // One verification at a time; a trigger arriving meanwhile runs once more afterwards.
  const verify = async (trigger: string): Promise<void> => {
    if (running) {
      pendingTrigger = pendingTrigger === undefined || trigger !== 'netlink' ? trigger : pendingTrigger;
      return;
    }
    running = true;
    pass.begin(abort.signal);
    try {
      await redetect();
      const report = await collector.collect(peers, generation, trigger, abort.signal);
      const fingerprint = reportFingerprint(report);
      const changed = !lastSent || !equals(NodeReportSchema, fingerprint, lastSent);
      const due = Date.now() - lastSentAt >= reportIntervalMs;
      if (changed || trigger !== 'netlink' || due) {
        const sent = options.uplink.send(create(ConnectRequestSchema, { payload: { case: 'nodeReport', value: report } }));
        if (sent) {
          lastSent = fingerprint;
          lastSentAt = Date.now();
        }
        if (changed) {
          const problems = (report.overlay?.peersChecked ?? 0) - (report.overlay?.peersOk ?? 0);
          log.info(
            { trigger, peersChecked: report.overlay?.peersChecked ?? 0, peersWithProblems: problems, sent },
            'overlay verification changed',
          );
        }
      }
    } catch (err) {
      if (!abort.signal.aborted) log.error({ err }, 'node report failed');
    } finally {
      running = false;
      pass.end();
      const next = pendingTrigger;
      pendingTrigger = undefined;
      if (next !== undefined && !abort.signal.aborted) void verify(next);
      else settleIdle();
    }
  };

  const schedulePeriodic = (): void => {
    periodicTimer = setInterval(() => void verify('periodic'), options.verifyIntervalMs);
    periodicTimer.unref();
  };
  schedulePeriodic();

  // Only an address inside the announced pod CIDRs: the collector refuses any other.
  const podProbeAddress = (): string =>
    self.overlayIp && self.podCidrs.some((cidr) => cidrContains(cidr, self.overlayIp!)) ? self.overlayIp : '';
  const hello = (): Hello =>
    create(HelloSchema, {
      nodeName: options.nodeName,
      network: Network.HOST,
      addresses: self.underlayIp ? [self.underlayIp] : [],
      podCidrs: self.podCidrs,
      agentVersion: version,
      probeAddress: options.probeAddress === '0.0.0.0' || options.probeAddress === '::' ? (self.underlayIp ?? '') : options.probeAddress,
      probePort: options.probePort,
      overlay: toOverlayDevice(self),
      podProbeAddress: options.answersForPodNetwork ? podProbeAddress() : '',
    });

  return {
    hello,
    get self() {
      return self;
    },
    peers: () => peers,
    onPeerSet: (peerSet) => {
      peers = peerSet.peers;
      generation = peerSet.generation;
      void verify('peer-set');
    },
    onConnected: (reportIntervalSeconds) => {
      reportIntervalMs = Math.max(1, reportIntervalSeconds) * 1000;
      lastSent = undefined;
      // Full state after every (re)connect: the collector may be new.
      void verify('reconnect');
    },
    onNetlinkChange: () => {
      if (debounceTimer) return;
      debounceTimer = setTimeout(() => {
        debounceTimer = undefined;
        void verify('netlink');
      }, options.netlinkDebounceMs);
    },
    whenIdle: () => (idle() || abort.signal.aborted ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    stop: () => {
      abort.abort();
      for (const timer of [debounceTimer, periodicTimer]) if (timer) clearTimeout(timer);
      debounceTimer = undefined;
      settleIdle();
    },
  };
}
