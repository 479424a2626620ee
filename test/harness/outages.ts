// Outage helpers shared by test/e2e/outages.test.ts and bench/collector-cut.ts: cut every
// node off the collector's gRPC port with nft (in the node namespaces, so agents keep
// probing each other), and read the agents' resident memory while they are cut off.
import { readFile } from 'node:fs/promises';
import type { Stack } from './stack.ts';

const table = 'netsentry_cut';

/** Drops TCP between every node and 192.0.2.1:grpcPort, both ways; no RST, like a dead link. */
export async function cutCollector(stack: Stack): Promise<void> {
  const port = stack.grpcTarget.split(':').at(-1)!;
  const gateway = stack.lab.underlayGatewayIp;
  await Promise.all(
    stack.lab.nodes.map(async (node) => {
      const nft = (...args: string[]) => stack.lab.exec(node.ns, ['nft', ...args]);
      await nft('add', 'table', 'inet', table);
      await nft('add', 'chain', 'inet', table, 'out', '{ type filter hook output priority 0 ; }');
      await nft('add', 'rule', 'inet', table, 'out', 'ip', 'daddr', gateway, 'tcp', 'dport', port, 'drop');
      await nft('add', 'chain', 'inet', table, 'in', '{ type filter hook input priority 0 ; }');
      await nft('add', 'rule', 'inet', table, 'in', 'ip', 'saddr', gateway, 'tcp', 'sport', port, 'drop');
    }),
  );
}

export async function restoreCollector(stack: Stack): Promise<void> {
  await Promise.all(
    stack.lab.nodes.map((node) => stack.lab.exec(node.ns, ['nft', 'delete', 'table', 'inet', table]).catch(() => undefined)),
  );
}

/** VmRSS of a process, bytes (the node process itself, not the `ip netns exec` wrapper). */
export async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) * 1024;
}

export interface CutResult {
  seconds: number;
  /** Per node: VmRSS before the cut and the highest sample during it, bytes. */
  memory: Record<string, { before: number; max: number }>;
}

/** Cuts the collector off for `seconds`, sampling every agent's VmRSS each second, then restores. */
export async function cutFor(stack: Stack, seconds: number): Promise<CutResult> {
  const memory: CutResult['memory'] = {};
  for (const [node, proc] of stack.agents) memory[node] = { before: await residentBytes(proc.pid), max: 0 };
  await cutCollector(stack);
  try {
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) {
      for (const [node, proc] of stack.agents) memory[node]!.max = Math.max(memory[node]!.max, await residentBytes(proc.pid));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await restoreCollector(stack);
  }
  return { seconds, memory };
}

export const mib = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;
