// Error and drop counters of the watched links, read from /sys/class/net/DEV/statistics (the
// sysfs of the agent's network namespace: the node's, with hostNetwork), with per-second rates
// over the interval since the previous read. Read directly rather than with systeminformation:
// its networkStats() runs a shell (`cat` of each file) per interface per call and keeps its
// rate state in a module-level singleton; four small files per link need neither.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { LinkCountersSchema, type LinkCounters, type LinkRole } from '../../../shared/src/gen/netsentry/v1/node_pb.js';

const counterFiles = ['rx_errors', 'tx_errors', 'rx_dropped', 'tx_dropped'] as const;
type Counts = Record<(typeof counterFiles)[number], bigint>;

export interface LinkCounterReader {
  /**
   * Links that cannot be read (absent, no sysfs) are left out. Rates only with `rate` (the
   * periodic pass): an event-driven pass (a netlink change, often a repair) reports the totals
   * without a rate and restarts the baseline, so drops from before a repair are never reported
   * as a rate after it.
   */
  read(links: readonly (readonly [string, LinkRole])[], options?: { rate?: boolean }): Promise<LinkCounters[]>;
}

const safeName = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function createLinkCounterReader(deps: { sysRoot?: string; monotonicMs?: () => number } = {}): LinkCounterReader {
  const sysRoot = deps.sysRoot ?? '/sys';
  const monotonicMs = deps.monotonicMs ?? (() => performance.now());
  const previous = new Map<string, { counts: Counts; atMs: number }>();

  const readCounts = async (name: string): Promise<Counts | undefined> => {
    if (!safeName.test(name)) return undefined;
    try {
      const values = await Promise.all(counterFiles.map((f) => readFile(join(sysRoot, 'class/net', name, 'statistics', f), 'utf8')));
      return Object.fromEntries(counterFiles.map((f, i) => [f, BigInt(values[i]!.trim())])) as Counts;
    } catch {
      return undefined;
    }
  };

  return {
    read: async (links, options = {}) => {
      const withRate = options.rate ?? true;
      const atMs = monotonicMs();
      const out: LinkCounters[] = [];
      const seen = new Set<string>();
      for (const [name, role] of links) {
        const counts = await readCounts(name);
        if (!counts) continue;
        seen.add(name);
        const before = previous.get(name);
        previous.set(name, { counts, atMs });
        const totals = {
          name,
          role,
          rxErrors: counts.rx_errors,
          txErrors: counts.tx_errors,
          rxDropped: counts.rx_dropped,
          txDropped: counts.tx_dropped,
        };
        if (!withRate) {
          out.push(create(LinkCountersSchema, totals));
          continue;
        }
        const seconds = before ? (atMs - before.atMs) / 1000 : 0;
        const reset = before ? counterFiles.some((f) => counts[f] < before.counts[f]) : true;
        const rate = (f: (typeof counterFiles)[number]): number =>
          reset || seconds <= 0 ? 0 : Number(counts[f] - before!.counts[f]) / seconds;
        out.push(
          create(LinkCountersSchema, {
            ...totals,
            rxErrorsPerSecond: rate('rx_errors'),
            txErrorsPerSecond: rate('tx_errors'),
            rxDroppedPerSecond: rate('rx_dropped'),
            txDroppedPerSecond: rate('tx_dropped'),
            intervalSeconds: reset ? 0 : seconds,
          }),
        );
      }
      for (const name of [...previous.keys()]) if (!seen.has(name)) previous.delete(name);
      return out;
    },
  };
}
