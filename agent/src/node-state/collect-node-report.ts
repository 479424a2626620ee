// Builds one NodeReport: reads the kernel concurrently, verifies the overlay against the
// peer set, and reports what it could not read instead of failing.
import { create } from '@bufbuild/protobuf';
import type { Peer } from '../../../shared/src/gen/netsentry/v1/collector_pb.js';
import {
  ConntrackSchema,
  LinkRole,
  LinkStatusSchema,
  NodeReportSchema,
  OverlayVerificationSchema,
  SysctlsSchema,
  UnavailableSchema,
  type LinkStatus,
  type NodeReport,
  type OverlayVerification,
  type Unavailable,
} from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import type { Logger } from '../../../shared/src/logger.ts';
import { kernelCommands } from '../kernel/kernel-reader.ts';
import type { FdbEntry, KernelReader, LinkInfo, NeighborEntry } from '../kernel/types.ts';
import type { OverlayBackend } from '../overlay/backend.ts';
import type { SelfDescription } from '../overlay/self-description.ts';
import { boundProblems } from './bounded-problems.ts';
import type { LinkCounterReader } from './link-counters.ts';

export interface NodeReportCollectorDeps {
  reader: KernelReader;
  backend: OverlayBackend;
  self: SelfDescription;
  logger: Logger;
  /** Wall clock in ms since the epoch, for observedAtUnixMs. */
  now?: () => number;
  /** Monotonic ms, for durationSeconds. */
  monotonic?: () => number;
  /** Error and drop counters of the watched links; absent = not reported. */
  linkCounters?: LinkCounterReader;
}

export interface NodeReportCollector {
  collect(peers: Peer[], generation: bigint, trigger: string, signal?: AbortSignal): Promise<NodeReport>;
}

const skipped = Promise.resolve([] as never[]);

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function linkStatus(links: LinkInfo[], name: string, role: LinkRole): LinkStatus {
  const link = links.find((l) => l.name === name);
  if (!link) return create(LinkStatusSchema, { name, role, present: false });
  return create(LinkStatusSchema, {
    name,
    role,
    present: true,
    up: link.adminUp,
    operState: link.operState,
    mtu: link.mtu,
    kind: link.kind,
  });
}

export function createNodeReportCollector(deps: NodeReportCollectorDeps): NodeReportCollector {
  const { reader, backend, self } = deps;
  const log = deps.logger.child({ component: 'node-state' });
  const now = deps.now ?? Date.now;
  const monotonic = deps.monotonic ?? (() => performance.now());
  const overlayDev = self.overlay.name;
  const underlayDev = self.overlay.underlayDevice;
  const watched: [string, LinkRole][] = (
    [
      [overlayDev, LinkRole.OVERLAY],
      [self.podBridge ?? '', LinkRole.POD_BRIDGE],
      [underlayDev, LinkRole.UNDERLAY],
    ] as [string, LinkRole][]
  ).filter(([name]) => name !== '');
  const needFdb = backend.needs.fdb && overlayDev !== '';

  return {
    async collect(peers, generation, trigger, signal) {
      const started = monotonic();
      const unavailable: Unavailable[] = [];
      const miss = (source: string, reason: string): void => void unavailable.push(create(UnavailableSchema, { source, reason }));
      const [links, routes, neighbors, fdbRead, conntrack, sysctls, linkCounters] = await Promise.all([
        reader.links(signal).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
        reader.routes(signal).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
        (backend.needs.neighbors ? reader.neighbors(signal) : (skipped as Promise<NeighborEntry[]>)).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
        (needFdb ? reader.fdb(overlayDev, signal) : (skipped as Promise<FdbEntry[]>)).then(
          (v) => ({ ok: true as const, v }),
          (e: unknown) => ({ ok: false as const, e }),
        ),
        reader.conntrack(),
        reader.sysctls([overlayDev, underlayDev]),
        deps.linkCounters?.read(watched, { rate: trigger === 'periodic' }) ?? Promise.resolve([]),
      ]);

      // A vanished overlay device makes `bridge fdb show dev D` fail; its FDB is then empty
      // by definition, and every peer is reported missing rather than "unreadable".
      let fdb = fdbRead;
      if (!fdb.ok && links.ok && !links.v.some((l) => l.name === overlayDev)) fdb = { ok: true, v: [] };

      if (!links.ok) miss(`ip ${kernelCommands.links.join(' ')}`, reasonOf(links.e));
      if (!routes.ok) miss(`ip ${kernelCommands.routes.join(' ')}`, reasonOf(routes.e));
      if (!neighbors.ok) miss(`ip ${kernelCommands.neighbors.join(' ')}`, reasonOf(neighbors.e));
      if (!fdb.ok) miss(`bridge ${kernelCommands.fdb(overlayDev).join(' ')}`, reasonOf(fdb.e));
      if (!conntrack.available) miss('conntrack', conntrack.reason ?? 'unavailable');
      for (const u of sysctls.unavailable) miss(u.source, u.reason);

      let overlay: OverlayVerification;
      if (routes.ok && neighbors.ok && fdb.ok) {
        const r = backend.verify({ self, routes: routes.v, neighbors: neighbors.v, fdb: fdb.v, peers });
        overlay = create(OverlayVerificationSchema, {
          kind: backend.kind,
          peersChecked: r.peersChecked,
          peersOk: r.peersOk,
          healthyDigest: r.healthyDigest,
          ...boundProblems(r.problems),
        });
      } else {
        overlay = create(OverlayVerificationSchema, { kind: backend.kind });
      }
      overlay.durationSeconds = (monotonic() - started) / 1000;

      const report = create(NodeReportSchema, {
        observedAtUnixMs: BigInt(Math.trunc(now())),
        peerSetGeneration: generation,
        overlay,
        // Without a link dump, "missing" cannot be told from "unread": send no link status.
        links: links.ok ? watched.map(([name, role]) => linkStatus(links.v, name, role)) : [],
        conntrack: create(ConntrackSchema, {
          available: conntrack.available,
          entries: BigInt(conntrack.entries),
          maxEntries: BigInt(conntrack.maxEntries),
          insertFailedTotal: BigInt(conntrack.insertFailedTotal),
          dropTotal: BigInt(conntrack.dropTotal),
          earlyDropTotal: BigInt(conntrack.earlyDropTotal),
        }),
        sysctls: create(SysctlsSchema, {
          rpFilter: sysctls.rpFilter,
          ...(sysctls.ipForward !== undefined ? { ipForward: sysctls.ipForward } : {}),
        }),
        unavailable,
        trigger,
        linkCounters,
      });
      log.debug(
        {
          trigger,
          generation: String(generation),
          peersChecked: overlay.peersChecked,
          peersOk: overlay.peersOk,
          durationSeconds: overlay.durationSeconds,
        },
        'node report collected',
      );
      return report;
    },
  };
}
