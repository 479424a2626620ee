// The collector as its composition root builds it (createCollector, the flags main.ts would
// parse), on a fake clock: tests feed its model, move time and read the HTTP API with inject(),
// or listen() for real sockets. One way to build a collector in a test.
import { PassThrough } from 'node:stream';
import { createCollector, type Collector } from '../../collector/src/collector.ts';
import { collectorFlags } from '../../collector/src/collector-flags.ts';
import { parseFlags } from '../../shared/src/flags.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { createFakeClock, type FakeClock } from '../fixtures/fake-clock.ts';
import { createTestCluster, startMs, type TestCluster } from '../fixtures/cluster-fixtures.ts';

export interface TestCollector {
  collector: Collector;
  clock: FakeClock;
  /** Agents connected on the collector's model (none unless `nodes` was given). */
  cluster: TestCluster;
  /** GET `url` by inject(); the parsed JSON body, or a thrown error on a status other than 200. */
  getJson<T>(url: string): Promise<T>;
  /** Everything the collector logged, one JSON line each. */
  logText(): string;
  close(): Promise<void>;
}

export function createTestCollector(
  options: { args?: string[]; env?: NodeJS.ProcessEnv; nodes?: number; clock?: FakeClock; start?: boolean } = {},
): TestCollector {
  const parsed = parseFlags('netsentry-collector', collectorFlags, options.args ?? [], {});
  if (parsed.kind !== 'flags') throw new Error(`collector flags: ${(options.args ?? []).join(' ')}`);
  let logText = '';
  const destination = new PassThrough();
  destination.on('data', (chunk: Buffer) => void (logText += chunk.toString('utf8')));
  const clock = options.clock ?? createFakeClock(startMs);
  const collector = createCollector({
    flags: parsed.flags,
    logger: createLogger({ name: 'test', destination }),
    env: options.env ?? {},
    clock,
  });
  const cluster = createTestCluster({ nodes: options.nodes ?? 0, on: { model: collector.model, clock } });
  if (options.start ?? true) collector.start();
  return {
    collector,
    clock,
    cluster,
    getJson: async <T>(url: string): Promise<T> => {
      const response = await collector.http.inject({ method: 'GET', url });
      if (response.statusCode !== 200) throw new Error(`GET ${url}: ${response.statusCode} ${response.body.slice(0, 200)}`);
      return response.json() as T;
    },
    logText: () => logText,
    close: () => collector.shutdown(1_000),
  };
}
