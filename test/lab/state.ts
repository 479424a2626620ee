// On-disk record of each lab, so a run killed with SIGKILL is cleaned at the next start.
// /run/netsentry-lab/<id>.json is written BEFORE any namespace exists, so a lab being
// built is never mistaken for a stale one. active.lock serialises labs: the root namespace
// holds at most one veth on 192.0.2.0/24.
import { mkdir, readFile, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const STATE_DIR = process.env['NETSENTRY_LAB_STATE_DIR'] ?? '/run/netsentry-lab';
const LOCK_FILE = 'active.lock';

export interface ProcessRef {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): guards against pid reuse. */
  start: number | null;
}

export interface LabState {
  id: string;
  prefix: string;
  owner: ProcessRef;
  createdAt: string;
  netns: string[];
  rootVeth: string | null;
  processes: ProcessRef[];
}

export function processStartTime(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); start time is field 22.
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

export function processRef(pid: number): ProcessRef {
  return { pid, start: processStartTime(pid) };
}

/** True if the process exists and, when a start time was recorded, is the same process. */
export function isAlive(ref: ProcessRef): boolean {
  if (!Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  const start = processStartTime(ref.pid);
  if (start === null) return false;
  return ref.start === null || ref.start === start;
}

export function statePath(id: string): string {
  return path.join(STATE_DIR, `${id}.json`);
}

export async function writeState(state: LabState): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 });
  const file = statePath(state.id);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

export async function removeState(id: string): Promise<void> {
  await unlink(statePath(id)).catch(() => {});
}

function isLabState(v: unknown): v is LabState {
  const s = v as Partial<LabState> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.id === 'string' &&
    typeof s.owner === 'object' &&
    Array.isArray(s.netns) &&
    (typeof s.rootVeth === 'string' || s.rootVeth === null) &&
    Array.isArray(s.processes)
  );
}

/** Every state file; unreadable ones come back as `{ id, state: null }`. */
export async function readAllStates(): Promise<{ id: string; state: LabState | null }[]> {
  let names: string[];
  try {
    names = await readdir(STATE_DIR);
  } catch {
    return [];
  }
  const out: { id: string; state: LabState | null }[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const id = name.slice(0, -'.json'.length);
    try {
      const parsed: unknown = JSON.parse(await readFile(path.join(STATE_DIR, name), 'utf8'));
      out.push({ id, state: isLabState(parsed) && parsed.id === id ? parsed : null });
    } catch {
      out.push({ id, state: null });
    }
  }
  return out;
}

interface LockRecord {
  id: string;
  owner: ProcessRef;
}

async function readLock(): Promise<LockRecord | null> {
  try {
    const v = JSON.parse(await readFile(path.join(STATE_DIR, LOCK_FILE), 'utf8')) as Partial<LockRecord>;
    return typeof v.id === 'string' && typeof v.owner === 'object' && v.owner !== null ? (v as LockRecord) : null;
  } catch {
    return null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Takes the machine-wide lab lock for `id`, waiting (bounded) while another live lab holds
 * it. A lock whose owner is dead, or that is unreadable for more than 5 s, is taken over.
 */
export async function acquireLabLock(id: string, timeoutMs: number): Promise<void> {
  await mkdir(STATE_DIR, { recursive: true, mode: 0o700 });
  const file = path.join(STATE_DIR, LOCK_FILE);
  const record: LockRecord = { id, owner: processRef(process.pid) };
  const deadline = Date.now() + timeoutMs;
  const maxTries = Math.ceil(timeoutMs / 100) + 10;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    try {
      await writeFile(file, JSON.stringify(record), { flag: 'wx', mode: 0o600 });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const held = await readLock();
    let stale = held !== null && !isAlive(held.owner);
    if (held === null) {
      const age = await stat(file).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      stale = age > 5_000;
    }
    if (stale) {
      await unlink(file).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline) {
      throw new Error(
        `another netns lab (${held?.id ?? 'unknown'}, pid ${held?.owner.pid ?? '?'}) is active; ` +
          `only one lab may hold the root veth at a time (waited ${timeoutMs} ms)`,
      );
    }
    await sleep(100);
  }
  throw new Error(`could not take the lab lock ${file}`);
}

export async function releaseLabLock(id: string): Promise<void> {
  const held = await readLock();
  if (held?.id === id) await unlink(path.join(STATE_DIR, LOCK_FILE)).catch(() => {});
}

/** Removes the lock if its owner is dead; returns the id it held. */
export async function clearStaleLock(): Promise<string | null> {
  const held = await readLock();
  if (held === null || isAlive(held.owner)) return null;
  await unlink(path.join(STATE_DIR, LOCK_FILE)).catch(() => {});
  return held.id;
}
