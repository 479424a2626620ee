// KernelReader over iproute2 JSON and procfs. Holds no state; every call reads afresh.
import type { CommandRunner } from './command-runner.ts';
import { parseFdb } from './parse-fdb.ts';
import { parseLinks } from './parse-links.ts';
import { parseNeighbors } from './parse-neighbors.ts';
import { parseRoutes } from './parse-routes.ts';
import { readConntrack } from './procfs-conntrack.ts';
import { readSysctls } from './procfs-sysctls.ts';
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
} as const;

export function createKernelReader(deps: KernelReaderDeps): KernelReader {
  const { runner } = deps;
  const procRoot = deps.procRoot ?? '/proc';
  const ip = deps.ipBinary ?? 'ip';
  const bridge = deps.bridgeBinary ?? 'bridge';
  return {
    // `ip -j -d addr show` carries link details (kind, vxlan attributes) and addresses in one dump.
    links: async (signal) => parseLinks(await runner.run([ip, ...kernelCommands.links], signal)),
    routes: async (signal) => parseRoutes(await runner.run([ip, ...kernelCommands.routes], signal)),
    neighbors: async (signal) => parseNeighbors(await runner.run([ip, ...kernelCommands.neighbors], signal)),
    fdb: async (device, signal) => parseFdb(await runner.run([bridge, ...kernelCommands.fdb(device)], signal), device),
    conntrack: () => readConntrack(procRoot),
    sysctls: (devices) => readSysctls(procRoot, devices),
  };
}
