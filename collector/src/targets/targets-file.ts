// --targets-file: YAML `targets: [{name, protocol: tcp|dns, address: IP:PORT, endpoints:
// [IP:PORT, …], query?}]`, validated in full (every problem named with its place), bounded.
// A file that does not validate is refused as a whole: at start-up that is a clear error,
// on a reload the previous set stays (shared/src/file-reloader.ts).
import { parse } from 'yaml';
import { parseTargetAddress } from '../../../shared/src/target-address.ts';

export interface TargetSpec {
  readonly name: string;
  readonly protocol: 'tcp' | 'dns';
  readonly address: string;
  readonly endpoints: readonly string[];
  /** DNS targets: the name queried. */
  readonly query: string;
}

/** Bounds: every pod agent probes targets × (1 + endpoints) addresses per cycle. */
export const maxTargets = 64;
export const maxEndpointsPerTarget = 32;
export const maxTargetsFileBytes = 256 * 1024;
export const defaultDnsQuery = 'kubernetes.default.svc.cluster.local';

const nameRe = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/;
const queryRe = /^(?=.{1,253}$)[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const keys = new Set(['name', 'protocol', 'address', 'endpoints', 'query']);

/** Throws an Error listing every problem (at most 10) when the file is not acceptable. */
export function parseTargetsFile(text: string): TargetSpec[] {
  if (Buffer.byteLength(text) > maxTargetsFileBytes) throw new Error(`larger than ${maxTargetsFileBytes} bytes`);
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 0 });
  } catch (err) {
    throw new Error(`not YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('expected a mapping with a `targets` list');
  const list = (doc as { targets?: unknown }).targets;
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) throw new Error('`targets` must be a list');
  if (list.length > maxTargets) throw new Error(`${list.length} targets; at most ${maxTargets}`);
  const problems: string[] = [];
  const specs: TargetSpec[] = [];
  const names = new Set<string>();
  list.forEach((entry: unknown, i) => {
    const at = `targets[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return void problems.push(`${at}: expected a mapping`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e))
      if (!keys.has(key)) problems.push(`${at}: unknown key ${JSON.stringify(key)} (known: ${[...keys].join(', ')})`);
    const { name, protocol, address, endpoints = [], query } = e;
    if (typeof name !== 'string' || !nameRe.test(name)) problems.push(`${at}.name: required, 1–100 of A-Z a-z 0-9 . _ / -`);
    else if (names.has(name)) problems.push(`${at}.name: ${name} appears twice`);
    else names.add(name);
    if (protocol !== 'tcp' && protocol !== 'dns') problems.push(`${at}.protocol: must be tcp or dns`);
    if (typeof address !== 'string' || !parseTargetAddress(address)) problems.push(`${at}.address: must be IP:PORT ([IP]:PORT for IPv6)`);
    if (!Array.isArray(endpoints)) problems.push(`${at}.endpoints: must be a list of IP:PORT`);
    else if (endpoints.length > maxEndpointsPerTarget)
      problems.push(`${at}.endpoints: ${endpoints.length}; at most ${maxEndpointsPerTarget}`);
    else
      endpoints.forEach((ep: unknown, j) => {
        if (typeof ep !== 'string' || !parseTargetAddress(ep)) problems.push(`${at}.endpoints[${j}]: must be IP:PORT`);
      });
    if (query !== undefined && (protocol !== 'dns' || typeof query !== 'string' || !queryRe.test(query)))
      problems.push(`${at}.query: only for dns targets, a DNS name`);
    if (problems.length === 0) {
      specs.push(
        Object.freeze({
          name: name as string,
          protocol: protocol as 'tcp' | 'dns',
          address: address as string,
          endpoints: Object.freeze([...new Set(endpoints as string[])].filter((ep) => ep !== address)),
          query: protocol === 'dns' ? ((query as string | undefined) ?? defaultDnsQuery) : '',
        }),
      );
    }
  });
  if (problems.length > 0)
    throw new Error(problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; and ${problems.length - 10} more` : ''));
  return specs;
}
