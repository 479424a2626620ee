// Reads the sysctls that break pod networking when wrong. Never throws.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SysctlReading } from './types.ts';

async function readSysctl(procRoot: string, key: string): Promise<number> {
  const text = (await readFile(join(procRoot, 'sys', key), 'utf8')).trim();
  if (!/^\d+$/.test(text)) throw new Error(`'${text}' is not a number`);
  return Number(text);
}

function reasonOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'ENOENT') return 'not present';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}

/**
 * Reads net/ipv4/ip_forward and net/ipv4/conf/{all,default,<dev>}/rp_filter under
 * `${procRoot}/sys`. Device names are used as path parts, so names with '/' or '..' are
 * refused rather than read.
 */
export async function readSysctls(procRoot: string, devices: string[]): Promise<SysctlReading> {
  const reading: SysctlReading = { rpFilter: {}, unavailable: [] };
  const names = [...new Set(['all', 'default', ...devices.filter((d) => d !== '')])];
  const jobs: Promise<void>[] = [
    readSysctl(procRoot, 'net/ipv4/ip_forward').then(
      (v) => void (reading.ipForward = v === 1),
      (err: unknown) => void reading.unavailable.push({ source: 'net.ipv4.ip_forward', reason: reasonOf(err) }),
    ),
  ];
  for (const name of names) {
    const source = `net.ipv4.conf.${name}.rp_filter`;
    if (name.includes('/') || name === '.' || name === '..') {
      reading.unavailable.push({ source, reason: 'invalid device name' });
      continue;
    }
    jobs.push(
      readSysctl(procRoot, `net/ipv4/conf/${name}/rp_filter`).then(
        (v) => void (reading.rpFilter[name] = v),
        (err: unknown) => void reading.unavailable.push({ source, reason: reasonOf(err) }),
      ),
    );
  }
  await Promise.all(jobs);
  reading.unavailable.sort((a, b) => a.source.localeCompare(b.source));
  return reading;
}
