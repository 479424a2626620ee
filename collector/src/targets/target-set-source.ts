// The current target set as the collector pushes it: the --targets-file, re-read when it
// changes (a bad new version is logged and the previous set stays), as a TargetSet message
// whose generation rises with every change.
import { create } from '@bufbuild/protobuf';
import { TargetProtocol, TargetSetSchema, type TargetSet } from '../../../shared/src/gen/netsentry/v1/target_pb.js';
import { createFileReloader } from '../../../shared/src/file-reloader.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { parseTargetsFile, type TargetSpec } from './targets-file.ts';

export interface TargetSetSource {
  current(): TargetSet;
  specs(): readonly TargetSpec[];
  onChange(listener: () => void): () => void;
  close(): void;
}

export function toTargetSet(specs: readonly TargetSpec[], generation: bigint): TargetSet {
  return create(TargetSetSchema, {
    generation,
    targets: specs.map((s) => ({
      name: s.name,
      protocol: s.protocol === 'tcp' ? TargetProtocol.TCP : TargetProtocol.DNS,
      address: s.address,
      endpoints: [...s.endpoints],
      dnsQuery: s.query,
    })),
  });
}

/** A fixed set (tests, and the place a Kubernetes-fed source would plug in). */
export function createStaticTargetSetSource(initial: readonly TargetSpec[]): TargetSetSource & { set(specs: readonly TargetSpec[]): void } {
  let specs = initial;
  let generation = 1n;
  let message = toTargetSet(specs, generation);
  const listeners = new Set<() => void>();
  return {
    current: () => message,
    specs: () => specs,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set: (next) => {
      specs = next;
      generation++;
      message = toTargetSet(specs, generation);
      for (const listener of [...listeners]) listener();
    },
    close: () => listeners.clear(),
  };
}

export function createTargetsFileSource(options: { path: string; intervalMs: number; logger: Logger }): TargetSetSource {
  const log = options.logger.child({ component: 'targets' });
  const source = createStaticTargetSetSource([]);
  const reloader = createFileReloader({
    what: 'targets file',
    paths: [options.path],
    intervalMs: options.intervalMs,
    logger: log,
    parse: ([text]) => parseTargetsFile(text!.toString('utf8')),
    onChange: (specs) => source.set(specs),
  });
  source.set(reloader.current());
  log.info({ path: options.path, targets: source.specs().length }, 'targets file loaded');
  return {
    ...source,
    close: () => {
      reloader.close();
      source.close();
    },
  };
}
