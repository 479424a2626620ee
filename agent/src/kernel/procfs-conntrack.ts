// Reads conntrack fill level and failure counters from procfs. Never throws.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConntrackReading } from './types.ts';

interface StatTotals {
  insertFailedTotal: number;
  dropTotal: number;
  earlyDropTotal: number;
}

/**
 * Parses /proc/net/stat/nf_conntrack: a header line of column names, then one line of
 * hex counters per CPU. Sums insert_failed, drop and early_drop over CPUs. Columns are
 * found by name because their set differs between kernels.
 */
export function parseConntrackStat(text: string): StatTotals {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header = (lines[0] ?? '').trim().split(/\s+/);
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`column '${name}' not in header`);
    return i;
  };
  const iInsertFailed = col('insert_failed');
  const iDrop = col('drop');
  const iEarlyDrop = col('early_drop');
  const totals: StatTotals = { insertFailedTotal: 0, dropTotal: 0, earlyDropTotal: 0 };
  for (const line of lines.slice(1)) {
    const cells = line.trim().split(/\s+/);
    const hex = (i: number): number => {
      const v = Number.parseInt(cells[i] ?? '', 16);
      if (Number.isNaN(v)) throw new Error(`bad counter in line '${line.trim()}'`);
      return v;
    };
    totals.insertFailedTotal += hex(iInsertFailed);
    totals.dropTotal += hex(iDrop);
    totals.earlyDropTotal += hex(iEarlyDrop);
  }
  return totals;
}

async function readInt(path: string): Promise<number> {
  const text = (await readFile(path, 'utf8')).trim();
  if (!/^\d+$/.test(text)) throw new Error(`'${text}' is not a number`);
  return Number(text);
}

function unavailable(reason: string): ConntrackReading {
  return { available: false, entries: 0, maxEntries: 0, insertFailedTotal: 0, dropTotal: 0, earlyDropTotal: 0, reason };
}

function describe(path: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return `${path} does not exist (nf_conntrack module not loaded?)`;
  if (code === 'EACCES' || code === 'EPERM') return `${path}: permission denied`;
  return `${path}: ${(err as Error).message}`;
}

export async function readConntrack(procRoot: string): Promise<ConntrackReading> {
  const countPath = join(procRoot, 'sys/net/netfilter/nf_conntrack_count');
  const maxPath = join(procRoot, 'sys/net/netfilter/nf_conntrack_max');
  const statPath = join(procRoot, 'net/stat/nf_conntrack');
  let entries: number;
  let maxEntries: number;
  let totals: StatTotals;
  let current = countPath;
  try {
    entries = await readInt(countPath);
    current = maxPath;
    maxEntries = await readInt(maxPath);
    current = statPath;
    totals = parseConntrackStat(await readFile(statPath, 'utf8'));
  } catch (err) {
    return unavailable(describe(current, err));
  }
  return { available: true, entries, maxEntries, ...totals };
}
