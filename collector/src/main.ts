#!/usr/bin/env node
// netsentry-collector: gRPC ingest, cluster model, detectors, findings, metrics, HTTP.
// Only this file calls process.exit.
import { NetsentryError } from '../../shared/src/errors.ts';
import { onUnhandledRejection } from '../../shared/src/fatal-rejection.ts';
import { parseFlags, splitHostPort } from '../../shared/src/flags.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { collectorFlags } from './collector-flags.ts';
import { createCollector } from './collector.ts';

async function main(): Promise<number> {
  const parsed = parseFlags('netsentry-collector', collectorFlags, process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  const flags = parsed.flags;
  const logger = createLogger({ name: 'netsentry-collector', level: flags.logLevel as 'info' });
  const log = logger.child({ component: 'main' });
  const collector = createCollector({ flags, logger });
  const grpcAddress = splitHostPort(flags.grpcListen);
  const httpAddress = splitHostPort(flags.httpListen);
  const bound = await collector.listen(grpcAddress, httpAddress);
  log.info(
    { grpcPort: bound.grpcPort, httpPort: bound.httpPort, grpcListen: flags.grpcListen, httpListen: flags.httpListen },
    'collector started',
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  log.info({ signal }, 'shutting down: not ready, draining streams');
  await collector.shutdown(flags.shutdownGrace);
  log.info('collector stopped');
  logger.flush();
  return 0;
}

process.on(
  'unhandledRejection',
  onUnhandledRejection('netsentry-collector', (code) => process.exit(code)),
);
main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof NetsentryError ? `${err.code}: ${err.message}` : String((err as Error)?.stack ?? err);
    process.stderr.write(`netsentry-collector: ${message}\n`);
    process.exit(err instanceof NetsentryError && err.code === 'INVALID_CONFIG' ? 2 : 1);
  },
);
