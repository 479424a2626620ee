// Address and CIDR helpers shared by the agent (verification) and the collector (validation).
import { BlockList, isIP } from 'node:net';

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

/** RFC 5952 text of an IPv6 address (lower case, longest zero run as "::", embedded IPv4 in hex), as the WHATWG URL parser writes it. */
function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

function ipv6ToBigInt(ip: string): bigint {
  const [head = '', tail] = canonicalIpv6(ip).split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(`0x${g}`), 0n);
}

function bigIntToIpv6(n: bigint): string {
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((n >> shift) & 0xffffn).toString(16));
  return canonicalIpv6(groups.join(':'));
}

const ipv6Mask = (prefixLength: number): bigint =>
  prefixLength === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - prefixLength)) - 1n);

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
    return { network: bigIntToIpv6(ipv6ToBigInt(address) & ipv6Mask(prefixLength)), prefixLength, family: 6 };
  }
  return undefined;
}

export function isValidCidr(text: string): boolean {
  return parseCidr(text) !== undefined;
}

/** "198.18.2.7/24" -> "198.18.2.0/24", "2001:DB8:0:0::1/64" -> "2001:db8::/64"; returns the input unchanged when it is not a CIDR. */
export function normaliseCidr(text: string): string {
  const cidr = parseCidr(text);
  return cidr ? `${cidr.network}/${cidr.prefixLength}` : text;
}

export function isValidIp(text: string): boolean {
  return isIP(text) !== 0;
}

/** True when `ip` lies inside `cidr`, IPv4 or IPv6 (node:net BlockList); false across families or for malformed input. */
export function cidrContains(cidrText: string, ip: string): boolean {
  const cidr = parseCidr(cidrText);
  const family = isIP(ip);
  if (!cidr || family !== cidr.family) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  list.addSubnet(cidr.network, cidr.prefixLength, type);
  return list.check(ip, type);
}

const macPattern = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function isValidMac(text: string): boolean {
  return macPattern.test(text.toLowerCase());
}
