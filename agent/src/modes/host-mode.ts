// --network host: reads the node's kernel state, verifies the overlay on netlink changes and
// probes peers over the underlay (host peers) and the overlay (pod peers).
import type { Logger } from '../../../shared/src/logger.ts';
import { checkBinaries, createCommandRunner } from '../kernel/command-runner.ts';
import { createKernelReader } from '../kernel/kernel-reader.ts';
import { createNetlinkWatcher } from '../kernel/netlink-watcher.ts';
import type { KernelReader } from '../kernel/types.ts';
import type { SelfOverrides } from '../overlay/self-description.ts';
import { toProbeTargets } from '../probe/probe-targets.ts';
import type { Uplink } from '../uplink/uplink.ts';
import { createHostAgent } from './host-agent.ts';
import type { Mode } from './mode.ts';

export interface HostModeOptions {
  nodeName: string;
  logger: Logger;
  uplink: Pick<Uplink, 'send' | 'reconnect'>;
  overrides: SelfOverrides;
  procRoot: string;
  probeAddress: string;
  probePort: number;
  verifyIntervalMs: number;
  netlinkDebounceMs: number;
  /** --pod-network-probes via-overlay (host-agent.ts). */
  answersForPodNetwork?: boolean;
  /** Tests pass a reader over captured tables and no watcher; default: iproute2 and `ip monitor`. */
  reader?: KernelReader;
  watchNetlink?: boolean;
}

const defaultUnderlayMtu = 1500;

export async function startHostMode(options: HostModeOptions): Promise<Mode> {
  let reader = options.reader;
  if (!reader) {
    const runner = createCommandRunner({ timeoutMs: 10_000 });
    await checkBinaries(runner, ['ip', 'bridge']);
    reader = createKernelReader({ runner, procRoot: options.procRoot });
  }
  const agent = await createHostAgent({
    nodeName: options.nodeName,
    reader,
    logger: options.logger,
    overrides: options.overrides,
    probeAddress: options.probeAddress,
    probePort: options.probePort,
    verifyIntervalMs: options.verifyIntervalMs,
    netlinkDebounceMs: options.netlinkDebounceMs,
    uplink: options.uplink,
    answersForPodNetwork: options.answersForPodNetwork ?? false,
  });
  // Host peers over the underlay; pod peers over the overlay (host-gw: the underlay again).
  // Read per round: the overlay device may appear after start-up.
  const mtus = () => {
    const underlay = agent.self.overlay.underlayMtu || defaultUnderlayMtu;
    return { host: underlay, pod: agent.self.overlay.mtu || underlay };
  };
  const watcher =
    options.watchNetlink === false ? undefined : createNetlinkWatcher({ logger: options.logger, onChange: () => agent.onNetlinkChange() });
  watcher?.start();
  return {
    hello: agent.hello,
    onWelcome: (welcome) => agent.onConnected(welcome.reportIntervalSeconds),
    onPeerSet: (peerSet) => agent.onPeerSet(peerSet),
    targets: () => toProbeTargets(agent.peers(), options.nodeName, mtus()),
    peers: () => agent.peers(),
    stop: async () => {
      agent.stop();
      await watcher?.stop();
    },
  };
}
