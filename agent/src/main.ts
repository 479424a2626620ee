#!/usr/bin/env -S node --enable-source-maps --max-semi-space-size=1
// netsentry-agent: runs on every node. Only this file calls process.exit.
import { NetsentryError } from '../../shared/src/errors.ts';
import { onUnhandledRejection } from '../../shared/src/fatal-rejection.ts';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { parseFlags, splitHostPort, type ParsedFlags } from '../../shared/src/flags.ts';
import type { Hello, Peer, PeerSet, Welcome } from '../../shared/src/gen/netsentry/v1/collector_pb.js';
import { createLogger, type Logger } from '../../shared/src/logger.ts';
import { agentFlags } from './agent-flags.ts';
import { createHostAgent } from './host-agent.ts';
import { checkBinaries, createCommandRunner } from './kernel/command-runner.ts';
import { createKernelReader } from './kernel/kernel-reader.ts';
import { createNetlinkWatcher } from './kernel/netlink-watcher.ts';
import { createPodAgent } from './pod-agent.ts';
import { detectPodNetwork, firstNameserver } from './pod-network.ts';
import { startProbing } from './probe/probing.ts';
import { createProbeResponder } from './probe/probe-responder.ts';
import { createKnownSenders } from './probe/known-senders.ts';
import { toProbeTargets } from './probe/probe-targets.ts';
import type { DnsTarget, PeerTarget } from './probe/probe-types.ts';
import { probeNetwork } from './probe/probe-wire.ts';
import { createUplink, type Uplink } from './uplink/uplink.ts';
import { createUplinkTransport } from './uplink/uplink-transport.ts';
import { parseOverlayName } from './overlay/registry.ts';
import { createTargetProber } from './targets/target-prober.ts';

type AgentFlags = ParsedFlags<typeof agentFlags>;

/** What main needs from either mode. */
interface Mode {
  hello: () => Hello;
  onWelcome: (welcome: Welcome) => void;
  onPeerSet: (peerSet: PeerSet) => void;
  targets: () => PeerTarget[];
  /** The current peer set (other nodes' agents): who the probe responder keeps receipts for. */
  peers: () => readonly Peer[];
  attach: (uplink: Uplink) => void;
  stop: () => Promise<void>;
}

const defaultUnderlayMtu = 1500;

async function startHostMode(flags: AgentFlags, logger: Logger, probeHost: string, probePort: number): Promise<Mode> {
  const runner = createCommandRunner({ timeoutMs: 10_000 });
  await checkBinaries(runner, ['ip', 'bridge']);
  const reader = createKernelReader({ runner, procRoot: flags.procRoot });
  const agent = await createHostAgent({
    nodeName: flags.nodeName,
    reader,
    logger,
    overrides: {
      overlay: parseOverlayName(flags.overlay),
      overlayDevice: flags.overlayDevice,
      podCidrs: flags.podCidr,
      underlayIp: flags.underlayIp,
      podBridge: flags.podBridge,
    },
    probeAddress: probeHost,
    probePort,
    verifyIntervalMs: flags.verifyInterval,
    netlinkDebounceMs: flags.netlinkDebounce,
  });
  // Host peers over the underlay; pod peers over the overlay (host-gw: the underlay again).
  // Read per round: the overlay device may appear after start-up.
  const mtus = () => {
    const underlay = agent.self.overlay.underlayMtu || defaultUnderlayMtu;
    return { host: underlay, pod: agent.self.overlay.mtu || underlay };
  };
  const watcher = createNetlinkWatcher({ logger, onChange: () => agent.onNetlinkChange() });
  watcher.start();
  return {
    hello: agent.hello,
    onWelcome: (welcome) => agent.onConnected(welcome.heartbeatIntervalSeconds, welcome.reportIntervalSeconds),
    onPeerSet: (peerSet) => agent.onPeerSet(peerSet),
    targets: () => toProbeTargets(agent.peers(), flags.nodeName, mtus()),
    peers: () => agent.peers(),
    attach: (uplink) => agent.attach(uplink),
    stop: async () => {
      agent.stop();
      await watcher.stop();
    },
  };
}

async function startPodMode(flags: AgentFlags, logger: Logger, probePort: number): Promise<Mode> {
  const pod = await detectPodNetwork({ podIp: flags.podIp, interfaces: networkInterfaces(), readFile: (path) => readFile(path, 'utf8') });
  const agent = createPodAgent({ nodeName: flags.nodeName, pod, podCidrs: flags.podCidr ?? [], probePort, logger });
  return {
    hello: agent.hello,
    onWelcome: (welcome) => agent.onConnected(welcome.heartbeatIntervalSeconds),
    onPeerSet: (peerSet) => agent.onPeerSet(peerSet),
    targets: () => toProbeTargets(agent.peers(), flags.nodeName, { host: pod.mtu, pod: pod.mtu }),
    peers: () => agent.peers(),
    attach: (uplink) => agent.attach(uplink),
    stop: async () => agent.stop(),
  };
}

/** --dns-server, else in pod mode the first resolv.conf nameserver on port 53; host mode: off. */
async function dnsTarget(flags: AgentFlags, log: Logger): Promise<DnsTarget | undefined> {
  if (flags.dnsServer === 'off') return undefined;
  if (flags.dnsServer) return { ...splitHostPort(flags.dnsServer), name: flags.dnsName };
  if (flags.network !== 'pod') return undefined;
  const server = await readFile('/etc/resolv.conf', 'utf8').then(firstNameserver, () => undefined);
  if (!server) {
    log.warn('no nameserver in /etc/resolv.conf and no --dns-server: DNS probes are off');
    return undefined;
  }
  return { host: server, port: 53, name: flags.dnsName };
}

async function main(): Promise<number> {
  const parsed = parseFlags('netsentry-agent', agentFlags, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const flags = parsed.flags;
  // The collector caps every agent's interval at 60 s (a longer round would be judged on a window it does not fill).
  if (flags.probeInterval > 60_000) throw new NetsentryError('INVALID_CONFIG', `--probe-interval must be at most 60s, got ${flags.probeInterval / 1000}s`);
  const logger = createLogger({ name: 'netsentry-agent', level: flags.logLevel as 'info' });
  const log = logger.child({ component: 'main', node: flags.nodeName, network: flags.network });

  // Credential files are checked before anything starts: a wrong file is a start-up error.
  const transport = createUplinkTransport({
    tlsCaFile: flags.tlsCaFile,
    tlsServerName: flags.tlsServerName,
    tlsCertFile: flags.tlsCertFile,
    tlsKeyFile: flags.tlsKeyFile,
    authTokenFile: flags.authTokenFile,
    logger,
  });

  // Both modes answer probes. Verification and probing are worth running even when the
  // probe port is taken: log and go on.
  const probe = splitHostPort(flags.probeListen);
  // The responder starts before the mode (which needs its port); it reads the mode's peer set late.
  const peerSource: { current?: () => readonly Peer[] } = {};
  const noPeers: readonly Peer[] = [];
  const responder = createProbeResponder({ logger, senders: createKnownSenders(() => peerSource.current?.() ?? noPeers) });
  let probePort = probe.port;
  try {
    probePort = (await responder.listen(probe.host, probe.port)).udpPort;
  } catch (err) {
    log.error({ err, probeListen: flags.probeListen }, 'probe responder could not start; continuing without it');
  }

  const mode = flags.network === 'pod' ? await startPodMode(flags, logger, probePort) : await startHostMode(flags, logger, probe.host, probePort);
  peerSource.current = mode.peers;
  // One identity per process: the collector tells a restart from a stream reconnect by it.
  const instance = { instanceId: randomUUID(), startedAtUnixMs: BigInt(Date.now()) };
  const uplink = createUplink({
    target: flags.collector,
    logger,
    hello: () => Object.assign(mode.hello(), instance),
    onWelcome: mode.onWelcome,
    onPeerSet: mode.onPeerSet,
    onTargetSet: (set) => targetProber?.setTargetSet(set),
    maxBackoffMs: flags.reconnectMaxBackoff,
    transport,
  });
  mode.attach(uplink);
  // Targets (Services and their endpoints) are probed from the pod network only.
  const targetProber = flags.network === 'pod' && flags.probeInterval > 0
    ? createTargetProber({ uplink, intervalMs: flags.probeInterval, timeoutMs: flags.probeTimeout, concurrency: 8, maxProbesPerRound: flags.targetProbesPerRound, logger })
    : undefined;

  const dns = await dnsTarget(flags, log);
  const probing =
    flags.probeInterval > 0
      ? startProbing({
          identity: { nodeName: flags.nodeName, network: flags.network === 'pod' ? probeNetwork.pod : probeNetwork.host },
          targets: mode.targets,
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
          logger,
        })
      : undefined;
  uplink.start();
  targetProber?.start();
  log.info({ collector: flags.collector, probeListen: flags.probeListen, probing: probing !== undefined }, 'agent started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down');
  await Promise.all([probing?.stop(), targetProber?.stop()]);
  await Promise.allSettled([mode.stop(), uplink.stop(), responder.close()]);
  transport.close();
  logger.flush();
  return 0;
}

process.on('unhandledRejection', onUnhandledRejection('netsentry-agent', (code) => process.exit(code)));
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof NetsentryError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`netsentry-agent: ${message}\n`);
    process.exit(err instanceof NetsentryError && err.code === 'INVALID_CONFIG' ? 2 : 1);
  },
);
