#!/usr/bin/env -S node --enable-source-maps --max-semi-space-size=1
// netsentry-agent: runs on every node. Only this file calls process.exit.
import { NetsentryError } from '../../shared/src/errors.ts';
import { onUnhandledRejection } from '../../shared/src/fatal-rejection.ts';
import { parseFlags } from '../../shared/src/flags.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { agentFlags } from './agent-flags.ts';
import { createAgent } from './create-agent.ts';
import { createUplinkTransport } from './uplink/uplink-transport.ts';

async function main(): Promise<number> {
  const parsed = parseFlags('netsentry-agent', agentFlags, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const flags = parsed.flags;
  // The collector caps every agent's interval at 60 s (a longer round would be judged on a window it does not fill).
  if (flags.probeInterval > 60_000)
    throw new NetsentryError('INVALID_CONFIG', `--probe-interval must be at most 60s, got ${flags.probeInterval / 1000}s`);
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
  const agent = await createAgent({ flags, logger, transport });
  agent.start();

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down');
  await agent.stop();
  transport.close();
  logger.flush();
  return 0;
}

process.on(
  'unhandledRejection',
  onUnhandledRejection('netsentry-agent', (code) => process.exit(code)),
);
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof NetsentryError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`netsentry-agent: ${message}\n`);
    process.exit(err instanceof NetsentryError && err.code === 'INVALID_CONFIG' ? 2 : 1);
  },
);
