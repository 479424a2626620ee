// The agent's composition root: the probe responder, the mode (host or pod), the uplink and
// the prober, wired once here so a test can build the whole agent; main.ts only parses flags
// and runs it. The agent's own node is dropped from every peer set here, in one place.
import { create } from '@bufbuild/protobuf';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { NetsentryError } from '../../shared/src/errors.ts';
import { splitHostPort, type ParsedFlags } from '../../shared/src/flags.ts';
import { PeerSetSchema, type Peer, type PeerSet } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import type { Logger } from '../../shared/src/logger.ts';
import type { agentFlags } from './agent-flags.ts';
import { startHostMode } from './modes/host-mode.ts';
import type { Mode } from './modes/mode.ts';
import { startPodMode } from './modes/pod-mode.ts';
import { parseOverlayName } from './overlay/registry.ts';
import { detectPodNetwork, firstNameserver } from './pod-network.ts';
import { createKnownSenders } from './probe/known-senders.ts';
import { createProbeResponder } from './probe/probe-responder.ts';
import type { DnsTarget } from './probe/probe-types.ts';
import { probeNetwork } from './probe/probe-wire.ts';
import { startProbing } from './probe/probing.ts';
import { createTargetProber } from './targets/target-prober.ts';
import { createUplink } from './uplink/uplink.ts';
import type { UplinkTransport } from './uplink/uplink-transport.ts';

export type AgentFlags = ParsedFlags<typeof agentFlags>;

export interface AgentDeps {
  flags: AgentFlags;
  logger: Logger;
  transport: UplinkTransport;
  /** Reads /etc/resolv.conf in pod mode (tests pass their own). */
  readFile?: (path: string) => Promise<string>;
}

export interface Agent {
  /** Connects to the collector (the mode and the responder already run). */
  start(): void;
  /** The peers the agent verifies and probes: the collector's set without this node. */
  peers(): readonly Peer[];
  /** Stops probing, then the mode, the uplink and the responder. */
  stop(): Promise<void>;
}

/** The peer set without this node's own agents: the collector leaves them out already; an older one may not. */
export const withoutNode = (peerSet: PeerSet, nodeName: string): PeerSet =>
  peerSet.peers.some((p) => p.nodeName === nodeName)
    ? create(PeerSetSchema, { ...peerSet, peers: peerSet.peers.filter((p) => p.nodeName !== nodeName) })
    : peerSet;

/**
 * A host agent started with --pod-network-probes via-overlay also does the pod agent's work
 * (the node runs no pod agent): it answers for the pod network at flannel.1's address and
 * probes DNS and the targets, from the host's network namespace.
 */
export const answersForPodNetwork = (flags: AgentFlags): boolean => flags.network === 'host' && flags.podNetworkProbes === 'via-overlay';

/** --dns-server, else in pod mode (and via-overlay) the first resolv.conf nameserver on port 53; host mode: off. */
async function dnsTarget(flags: AgentFlags, log: Logger, read: (path: string) => Promise<string>): Promise<DnsTarget | undefined> {
  if (flags.dnsServer === 'off') return undefined;
  if (flags.dnsServer) return { ...splitHostPort(flags.dnsServer), name: flags.dnsName };
  if (flags.network !== 'pod' && !answersForPodNetwork(flags)) return undefined;
  const server = await read('/etc/resolv.conf').then(firstNameserver, () => undefined);
  if (!server) {
    log.warn('no nameserver in /etc/resolv.conf and no --dns-server: DNS probes are off');
    return undefined;
  }
  return { host: server, port: 53, name: flags.dnsName };
}

export async function createAgent(deps: AgentDeps): Promise<Agent> {
  const { flags, logger } = deps;
  const read = deps.readFile ?? ((path: string) => readFile(path, 'utf8'));
  const log = logger.child({ component: 'agent', node: flags.nodeName, network: flags.network });
  const podNetworkToo = answersForPodNetwork(flags);
  if (flags.network === 'pod' && flags.podNetworkProbes === 'via-overlay')
    throw new NetsentryError('INVALID_CONFIG', '--pod-network-probes via-overlay is for host agents (--network host)');
  const probe = splitHostPort(flags.probeListen);
  if (podNetworkToo && probe.host !== '0.0.0.0' && probe.host !== '::')
    throw new NetsentryError(
      'INVALID_CONFIG',
      `--pod-network-probes via-overlay needs --probe-listen on every address (0.0.0.0:PORT), got ${flags.probeListen}: peers probe this node's flannel.1 address`,
    );

  // Both modes answer probes. Verification and probing are worth running even when the
  // probe port is taken: log and go on. The responder starts before the mode (which needs
  // its port) and reads the mode's peer set late.
  let mode: Mode | undefined;
  const noPeers: readonly Peer[] = [];
  const senders = createKnownSenders(() => mode?.peers() ?? noPeers);
  const responder = createProbeResponder({
    logger,
    senders,
    ...(podNetworkToo ? { skipReceipt: (address: string, node: string) => senders.isOverlaySource(address, node) } : {}),
  });
  let probePort = probe.port;
  try {
    probePort = (await responder.listen(probe.host, probe.port)).udpPort;
  } catch (err) {
    log.error({ err, probeListen: flags.probeListen }, 'probe responder could not start; continuing without it');
  }

  // One identity per process: the collector tells a restart from a stream reconnect by it.
  const instance = { instanceId: randomUUID(), startedAtUnixMs: BigInt(Date.now()) };
  // The uplink calls back only after start(), by when the mode exists.
  // Targets (Services and their endpoints) are probed by whoever answers for the pod network; created once the uplink exists.
  let targetProber: ReturnType<typeof createTargetProber> | undefined;
  const uplink = createUplink({
    target: flags.collector,
    logger,
    hello: () => Object.assign(mode!.hello(), instance),
    onWelcome: (welcome) => mode?.onWelcome(welcome),
    onPeerSet: (peerSet) => mode?.onPeerSet(withoutNode(peerSet, flags.nodeName)),
    onTargetSet: (set) => targetProber?.setTargetSet(set),
    maxBackoffMs: flags.reconnectMaxBackoff,
    transport: deps.transport,
  });

  try {
    mode =
      flags.network === 'pod'
        ? startPodMode({
            nodeName: flags.nodeName,
            pod: await detectPodNetwork({ podIp: flags.podIp, interfaces: networkInterfaces(), readFile: read }),
            podCidrs: flags.podCidr ?? [],
            probePort,
            logger,
          })
        : await startHostMode({
            nodeName: flags.nodeName,
            logger,
            uplink,
            overrides: {
              overlay: parseOverlayName(flags.overlay),
              overlayDevice: flags.overlayDevice,
              podCidrs: flags.podCidr,
              underlayIp: flags.underlayIp,
              podBridge: flags.podBridge,
            },
            procRoot: flags.procRoot,
            probeAddress: probe.host,
            probePort,
            verifyIntervalMs: flags.verifyInterval,
            netlinkDebounceMs: flags.netlinkDebounce,
            answersForPodNetwork: podNetworkToo,
          });
  } catch (err) {
    await Promise.allSettled([uplink.stop(), responder.close()]);
    throw err;
  }
  const running = mode;
  if ((flags.network === 'pod' || podNetworkToo) && flags.probeInterval > 0)
    targetProber = createTargetProber({
      uplink,
      intervalMs: flags.probeInterval,
      timeoutMs: flags.probeTimeout,
      concurrency: 8,
      maxProbesPerRound: flags.targetProbesPerRound,
      logger,
    });

  const dns = await dnsTarget(flags, log, read);
  const probing =
    flags.probeInterval > 0
      ? startProbing({
          identity: { nodeName: flags.nodeName, network: flags.network === 'pod' ? probeNetwork.pod : probeNetwork.host },
          targets: running.targets,
          dns,
          intervalMs: flags.probeInterval,
          timeoutMs: flags.probeTimeout,
          concurrency: Math.max(1, flags.probeConcurrency),
          fullMeshMaxPeers: Math.max(0, flags.fullMeshMaxPeers),
          sampleSize: Math.max(1, flags.sampleSize),
          responder,
          uplink,
          bufferBatches: flags.probeBufferBatches,
          perProbeResults: flags.probeReport === 'results',
          inline: flags.proberThread === 'main',
          logger,
        })
      : undefined;

  return {
    start: () => {
      uplink.start();
      targetProber?.start();
      log.info(
        {
          collector: flags.collector,
          probeListen: flags.probeListen,
          probing: probing !== undefined,
          podNetworkProbes: flags.podNetworkProbes,
        },
        'agent started',
      );
    },
    peers: () => running.peers(),
    stop: async () => {
      await Promise.all([probing?.stop(), targetProber?.stop()]);
      await Promise.allSettled([running.stop(), uplink.stop(), responder.close()]);
    },
  };
}
