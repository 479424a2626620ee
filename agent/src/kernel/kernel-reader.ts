// KernelReader over iproute2 JSON and procfs. Holds no state; every call reads afresh.
import type { CommandRunner } from './command-runner.ts';
import { parseFdb } from './parse-fdb.ts';
import { parseLinks } from './parse-links.ts';
import { parseNeighbors } from './parse-neighbors.ts';
import { parseRoutes } from './parse-routes.ts';
import { readConntrack } from './procfs-conntrack.ts';
import { readSysctls } from './procfs-sysctls.ts';
import { NetsentryError } from '../../../shared/src/errors.ts';
import type { KernelReader } from './types.ts';

export interface KernelReaderDeps {
  runner: CommandRunner;
  procRoot?: string;
  ipBinary?: string;
  bridgeBinary?: string;
}

/** The commands the reader runs, exported so the README and tests name the same ones. */
export const kernelCommands = {
  links: ['-j', '-d', 'addr', 'show'],
  routes: ['-j', 'route', 'show', 'table', 'all'],
  neighbors: ['-j', 'neigh', 'show'],
  fdb: (device: string) => ['-j', 'fdb', 'show', 'dev', device],
  /**
   * links, routes and neighbors in one `ip` run: the same three dumps (-d is global in
   * batch mode, so routes and neighbors carry a few more fields), one JSON array per line.
   * At 5,000 peers the dumps themselves are cheap; starting `ip` is most of each one's cost.
   */
  tables: { argv: ['-j', '-d', '-batch', '-'], input: 'addr show\nroute show table all\nneigh show\n' },
} as const;

/** Splits `ip -j -batch` output into its commands' JSON arrays (one per line). */
export function splitBatchOutput(text: string, commands: number): string[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length !== commands)
    throw new NetsentryError('INTERNAL', `ip -batch printed ${lines.length} JSON arrays for ${commands} commands`);
  return lines;
}

export function createKernelReader(deps: KernelReaderDeps): KernelReader {
  const { runner } = deps;
  const procRoot = deps.procRoot ?? '/proc';
  const ip = deps.ipBinary ?? 'ip';
  const bridge = deps.bridgeBinary ?? 'bridge';
  return {
    // `ip -j -d addr show` carries link details (kind, vxlan attributes) and addresses in one dump.
    tables: async (signal) => {
      const [links, routes, neighbors] = splitBatchOutput(
        await runner.run([ip, ...kernelCommands.tables.argv], signal, kernelCommands.tables.input),
        3,
      );
      return { links: parseLinks(links!), routes: parseRoutes(routes!), neighbors: parseNeighbors(neighbors!) };
    },
    links: async (signal) => parseLinks(await runner.run([ip, ...kernelCommands.links], signal)),
    routes: async (signal) => parseRoutes(await runner.run([ip, ...kernelCommands.routes], signal)),
    neighbors: async (signal) => parseNeighbors(await runner.run([ip, ...kernelCommands.neighbors], signal)),
    fdb: async (device, signal) => parseFdb(await runner.run([bridge, ...kernelCommands.fdb(device)], signal), device),
    conntrack: () => readConntrack(procRoot),
    sysctls: (devices) => readSysctls(procRoot, devices),
  };
}
