// Within one verification pass, everything that reads the link, route and neighbor tables
// (overlay re-detection, the node report) shares one read of them: with a reader that has
// tables(), one `ip -batch` run per pass instead of one `ip` per table and per reader —
// starting `ip` costs the agent ~10 ms of CPU each time (BENCHMARKS.md, issue 7).
// Outside a pass the reader reads afresh, table by table.
import type { KernelReader, KernelTables } from './types.ts';

export interface PassReader {
  /** Reads through the current pass's tables when a pass is open. */
  readonly reader: KernelReader;
  /** Starts the pass's read (not awaited here: a failure shows where the tables are used). */
  begin(signal?: AbortSignal): void;
  end(): void;
}

export function createPassReader(base: KernelReader): PassReader {
  let tables: Promise<KernelTables> | undefined;
  const readAll = (signal?: AbortSignal): Promise<KernelTables> =>
    base.tables
      ? base.tables(signal)
      : Promise.all([base.links(signal), base.routes(signal), base.neighbors(signal)]).then(([links, routes, neighbors]) => ({
          links,
          routes,
          neighbors,
        }));
  return {
    reader: {
      ...base,
      links: (signal) => (tables ? tables.then((t) => t.links) : base.links(signal)),
      routes: (signal) => (tables ? tables.then((t) => t.routes) : base.routes(signal)),
      neighbors: (signal) => (tables ? tables.then((t) => t.neighbors) : base.neighbors(signal)),
    },
    begin: (signal) => {
      tables = readAll(signal);
      tables.catch(() => undefined);
    },
    end: () => {
      tables = undefined;
    },
  };
}
