// Global budgets on what agents can make the collector hold, so no single token holder can
// exhaust it: nodes, hellos per second, and bytes of stored reports. A refusal says which
// budget and its size (the caller turns it into a gRPC status or a dropped message), is
// counted by budget, and is logged once per source address per minute.
import { createTokenBucket } from '../../../shared/src/token-bucket.ts';
import type { Logger } from '../../../shared/src/logger.ts';
import { createLogOncePerKey, peerHost } from './log-once-per-key.ts';

export const budgetNames = ['nodes', 'hellos', 'report_bytes', 'report_peers', 'probe_receipts', 'findings_per_node'] as const;
export type BudgetName = (typeof budgetNames)[number];

export interface BudgetLimitsOptions {
  /** Nodes the collector keeps (0 = no cap). */
  maxNodes: number;
  /** Hellos accepted per second, all streams together (0 = no limit); bursts of 5 s worth pass. */
  hellosPerSecond: number;
  /** Bytes of agent reports stored, all agents together (0 = no cap). */
  maxReportBytes: number;
}

export interface IngestBudgets {
  /** Why a hello is refused, or undefined. `knownNode`: the node is already in the model. */
  admitHello(peer: string, node: string, knownNode: boolean, nodeCount: number): string | undefined;
  /** Why a report of `bytes` from `agent` is not stored, or undefined (then it is accounted). */
  admitReport(peer: string, agent: string, bytes: number): string | undefined;
  /** Excess dropped from a message that was otherwise accepted (counted and logged once). */
  dropped(peer: string, budget: BudgetName, detail: string): void;
  readonly storedReportBytes: number;
}

export interface IngestBudgetDeps {
  logger: Logger;
  exceeded: (budget: BudgetName) => void;
  /** Whether the model still holds this agent's report (its node may have expired since). */
  stillStored: (agent: string) => boolean;
  now?: () => number;
}

export function createIngestBudgets(options: BudgetLimitsOptions & IngestBudgetDeps): IngestBudgets {
  const log = options.logger.child({ component: 'ingest-budgets' });
  const hellos =
    options.hellosPerSecond > 0
      ? createTokenBucket({ ratePerSecond: options.hellosPerSecond, burst: 5 * options.hellosPerSecond, now: options.now })
      : undefined;
  const logOnce = createLogOncePerKey({ windowMs: 60_000, maxKeys: 4096, now: options.now });
  const reportBytes = new Map<string, number>();
  let storedReportBytes = 0;

  const reconcile = (): void => {
    for (const [agent, bytes] of reportBytes) {
      if (options.stillStored(agent)) continue;
      storedReportBytes -= bytes;
      reportBytes.delete(agent);
    }
  };

  const refuse = (peer: string, budget: BudgetName, detail: string): string => {
    options.exceeded(budget);
    const logged = logOnce.shouldLog(`${budget}|${peerHost(peer)}`);
    if (logged) log.warn({ peer, budget, detail, suppressedSinceLast: logged.suppressed }, 'collector budget exceeded');
    return detail;
  };

  return {
    admitHello: (peer, node, knownNode, nodeCount) => {
      if (hellos && !hellos.take())
        return refuse(peer, 'hellos', `more than ${options.hellosPerSecond} hellos per second (sustained) across all agents; retry later`);
      if (!knownNode && options.maxNodes > 0 && nodeCount >= options.maxNodes) {
        return refuse(
          peer,
          'nodes',
          `the collector already holds its maximum of ${options.maxNodes} nodes (--max-nodes); node '${node.slice(0, 64)}' is not admitted`,
        );
      }
      return undefined;
    },
    admitReport: (peer, agent, bytes) => {
      const previous = reportBytes.get(agent) ?? 0;
      const over = (): boolean =>
        options.maxReportBytes > 0 && bytes > previous && storedReportBytes - previous + bytes > options.maxReportBytes;
      // Expired nodes' reports are let go of only when the budget is tight: O(agents), and rare.
      if (over()) reconcile();
      if (over()) {
        return refuse(
          peer,
          'report_bytes',
          `storing this ${bytes}-byte report would exceed the ${options.maxReportBytes} bytes of reports the collector keeps (--max-report-bytes); the previous report stays`,
        );
      }
      storedReportBytes += bytes - previous;
      reportBytes.set(agent, bytes);
      return undefined;
    },
    dropped: (peer, budget, detail) => void refuse(peer, budget, detail),
    get storedReportBytes() {
      return storedReportBytes;
    },
  };
}
