#!/usr/bin/env node
// netsentry-agent: runs on every node. Only this file calls process.exit.
import { NetsentryError } from '../../shared/src/errors.ts';
import { parseFlags, splitHostPort } from '../../shared/src/flags.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { agentFlags } from './agent-flags.ts';
import { createHostAgent } from './host-agent.ts';
import { checkBinaries, createCommandRunner } from './kernel/command-runner.ts';
import { createKernelReader } from './kernel/kernel-reader.ts';
import { createNetlinkWatcher } from './kernel/netlink-watcher.ts';
import { createProbeResponder } from './probe/probe-responder.ts';
import { createUplink } from './uplink/uplink.ts';
import { parseOverlayName } from './overlay/registry.ts';

async function main(): Promise<number> {
  const parsed = parseFlags('netsentry-agent', agentFlags, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const flags = parsed.flags;
  const logger = createLogger({ name: 'netsentry-agent', level: flags.logLevel as 'info' });
  const log = logger.child({ component: 'main', node: flags.nodeName, network: flags.network });

  if (flags.network === 'pod') {
    log.error('--network pod is not available in this version; run with --network host');
    return 2;
  }

  const runner = createCommandRunner({ timeoutMs: 10_000 });
  await checkBinaries(runner, ['ip', 'bridge']);
  const reader = createKernelReader({ runner, procRoot: flags.procRoot });

  const probe = splitHostPort(flags.probeListen);
  const responder = createProbeResponder({ logger });
  let probePort = probe.port;
  try {
    probePort = (await responder.listen(probe.host, probe.port)).udpPort;
  } catch (err) {
    // Verification is worth running even when the probe port is taken: log and go on.
    log.error({ err, probeListen: flags.probeListen }, 'probe responder could not start; continuing without it');
  }

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
    probeAddress: probe.host,
    probePort,
    verifyIntervalMs: flags.verifyInterval,
    netlinkDebounceMs: flags.netlinkDebounce,
  });

  const uplink = createUplink({
    target: flags.collector,
    logger,
    hello: agent.hello,
    onWelcome: (welcome) => agent.onConnected(welcome.heartbeatIntervalSeconds, welcome.reportIntervalSeconds),
    onPeerSet: (peerSet) => agent.onPeerSet(peerSet),
    maxBackoffMs: flags.reconnectMaxBackoff,
  });
  agent.attach(uplink);

  const watcher = createNetlinkWatcher({ logger, onChange: () => agent.onNetlinkChange() });
  watcher.start();
  uplink.start();
  log.info({ collector: flags.collector, probeListen: flags.probeListen }, 'agent started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down');
  agent.stop();
  await Promise.allSettled([watcher.stop(), uplink.stop(), responder.close()]);
  logger.flush();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof NetsentryError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`netsentry-agent: ${message}\n`);
    process.exit(err instanceof NetsentryError && err.code === 'INVALID_CONFIG' ? 2 : 1);
  },
);
