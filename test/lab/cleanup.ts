// Removing labs: our own at teardown, and stale ones (owner dead, or netns with no state
// file) at the next start. Processes are only ever signalled by pid: the pids the lab
// recorded (checked against their start time) and the pids that live inside the lab's
// own namespaces, which only the lab put there.
import { readdir } from 'node:fs/promises';
import { LAB_NETNS_PATTERN, ROOT_VETH_PATTERN } from './naming.ts';
import { ipBatch, run } from './run.ts';
import { clearStaleLock, isAlive, readAllStates, removeState, type LabState, type ProcessRef } from './state.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function listNetns(): Promise<string[]> {
  try {
    return await readdir('/run/netns');
  } catch {
    return [];
  }
}

async function rootLinks(): Promise<string[]> {
  const out = await run(['ip', '-j', 'link', 'show']);
  const links = JSON.parse(out) as { ifname?: string }[];
  return links.map((l) => l.ifname ?? '').filter((n) => n !== '');
}

async function pidsIn(ns: string): Promise<number[]> {
  try {
    const out = await run(['ip', 'netns', 'pids', ns]);
    return out
      .split('\n')
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
  } catch {
    return [];
  }
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/** SIGKILLs recorded processes and everything left inside `netns`; waits (bounded) for them. */
export async function killLeftovers(recorded: readonly ProcessRef[], netns: readonly string[]): Promise<void> {
  const targets = new Set<number>();
  for (const ref of recorded) if (isAlive(ref)) targets.add(ref.pid);
  const existing = new Set(await listNetns());
  for (const pids of await Promise.all(netns.filter((n) => existing.has(n)).map(pidsIn))) {
    for (const pid of pids) targets.add(pid);
  }
  if (targets.size === 0) return;
  for (const pid of targets) kill(pid, 'SIGKILL');
  for (let i = 0; i < 40; i++) {
    if ([...targets].every((pid) => !isAlive({ pid, start: null }))) return;
    await sleep(50);
  }
}

/** Deletes the root veth (if present) and every listed namespace that exists. */
export async function deleteLabLinks(rootVeth: string | null, netns: readonly string[]): Promise<void> {
  if (rootVeth !== null && (await rootLinks()).includes(rootVeth)) {
    await run(['ip', 'link', 'del', rootVeth]).catch(() => {});
  }
  const existing = new Set(await listNetns());
  const present = netns.filter((n) => existing.has(n));
  await ipBatch(
    null,
    present.map((n) => `netns del ${n}`),
    { force: true },
  ).catch(() => {});
}

/**
 * Removes every stale lab: state files whose owner is dead, `nsl????-` namespaces and
 * `nsl????u` root veths that belong to no live lab. Returns the removed lab ids.
 */
export async function cleanupStaleLabs(): Promise<string[]> {
  const removed = new Set<string>();
  const live = new Set<string>();
  for (const { id, state } of await readAllStates()) {
    if (state !== null && isAlive(state.owner)) {
      live.add(id);
      continue;
    }
    await destroyLab(id, state);
    removed.add(id);
  }
  const orphanNs = new Map<string, string[]>();
  for (const ns of await listNetns()) {
    const id = LAB_NETNS_PATTERN.exec(ns)?.[1];
    if (id === undefined || live.has(id)) continue;
    orphanNs.set(id, [...(orphanNs.get(id) ?? []), ns]);
  }
  for (const [id, netns] of orphanNs) {
    await killLeftovers([], netns);
    await deleteLabLinks(null, netns);
    removed.add(id);
  }
  for (const link of await rootLinks()) {
    const id = ROOT_VETH_PATTERN.exec(link)?.[1];
    if (id === undefined || live.has(id)) continue;
    await run(['ip', 'link', 'del', link]).catch(() => {});
    removed.add(id);
  }
  await clearStaleLock();
  return [...removed].sort();
}

/** Removes one lab whose owner is gone (or was never recorded): processes, links, state. */
export async function destroyLab(id: string, state: LabState | null): Promise<void> {
  const prefix = `${id}-`;
  const netns = new Set(state?.netns ?? []);
  for (const ns of await listNetns()) if (ns.startsWith(prefix)) netns.add(ns);
  await killLeftovers(state?.processes ?? [], [...netns]);
  await deleteLabLinks(state?.rootVeth ?? `${id}u`, [...netns]);
  await removeState(id);
}
