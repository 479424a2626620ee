// IP:PORT (IPv6 as [IP]:PORT) of a target address, checked: only literal IPs, never names,
// so a probe never triggers a lookup and never goes somewhere the target set did not say.
import { isIP } from 'node:net';

export interface TargetHostPort {
  host: string;
  port: number;
}

/** Undefined when `address` is not a literal IP with a port in 1..65535. */
export function parseTargetAddress(address: string): TargetHostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const host = match[1] ?? match[2]!;
  const port = Number(match[3]);
  if (isIP(host) === 0 || port < 1 || port > 65535) return undefined;
  if ((match[1] !== undefined) !== (isIP(host) === 6)) return undefined;
  return { host, port };
}

export function splitTargetAddress(address: string): TargetHostPort {
  const parsed = parseTargetAddress(address);
  if (!parsed) throw new Error(`not an IP:PORT target address: ${JSON.stringify(address)}`);
  return parsed;
}
