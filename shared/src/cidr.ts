// Address and CIDR helpers shared by the agent (verification) and the collector (validation).
import { isIP } from 'node:net';

export interface Cidr {
  /** Network address, normalised (host bits cleared), e.g. "198.18.2.0". */
  readonly network: string;
  readonly prefixLength: number;
  readonly family: 4 | 6;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => (acc << 8) + Number(octet), 0) >>> 0;
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
}

/** Parses "a.b.c.d/len" (or an IPv6 CIDR). Returns undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0) return undefined;
  const address = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  const family = isIP(address);
  if (family === 4) {
    if (prefixLength > 32) return undefined;
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    return { network: intToIpv4(ipv4ToInt(address) & mask), prefixLength, family: 4 };
  }
  if (family === 6) {
    if (prefixLength > 128) return undefined;
    return { network: address.toLowerCase(), prefixLength, family: 6 };
  }
  return undefined;
}

export function isValidCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** "198.18.2.7/24" -> "198.18.2.0/24"; returns the input unchanged when it is not a CIDR. */
export function normaliseCidr(text: string): string {
  const cidr = parseCidr(text);
  return cidr ? `${cidr.network}/${cidr.prefixLength}` : text;
}

export function isValidIp(text: string): boolean {
  return isIP(text) !== 0;
}

/** True when `ip` lies inside `cidr` (IPv4 only; IPv6 compares exact network). */
export function cidrContains(cidrText: string, ip: string): boolean {
  const cidr = parseCidr(cidrText);
  if (!cidr) return false;
  if (cidr.family === 4 && isIP(ip) === 4) {
    const mask = cidr.prefixLength === 0 ? 0 : (0xffffffff << (32 - cidr.prefixLength)) >>> 0;
    return ((ipv4ToInt(ip) & mask) >>> 0) === ipv4ToInt(cidr.network);
  }
  return false;
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function isValidMac(text: string): boolean {
  return macPattern.test(text.toLowerCase());
}
