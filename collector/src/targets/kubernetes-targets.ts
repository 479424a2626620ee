// Targets from the Kubernetes API: by default the cluster DNS Service (kube-system/kube-dns,
// probed as DNS) and the API server (default/kubernetes, TCP 443 — seed 001), plus every
// Service labelled netsentry.io/probe: "true" (TCP on its first TCP port); each with the
// ready addresses of its EndpointSlices as endpoints. Named namespace/name. Pure: the caller
// passes the informers' views.
import { isIP } from 'node:net';
import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { defaultDnsQuery, maxEndpointsPerTarget, type TargetSpec } from './targets-file.ts';

export const probeLabel = 'netsentry.io/probe';
export const defaultApiTargets = [
  { namespace: 'kube-system', name: 'kube-dns', protocol: 'dns' },
  { namespace: 'default', name: 'kubernetes', protocol: 'tcp' },
] as const;

export interface KubernetesTargetsResult {
  specs: TargetSpec[];
  /** Why a wanted Service gave no target (headless, no matching port, …), for the log. */
  skipped: string[];
  /** Targets whose endpoints were cut to maxEndpointsPerTarget. */
  truncated: string[];
}

const hostPort = (ip: string, port: number): string => (isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`);

function chooseServicePort(service: V1Service, protocol: 'tcp' | 'dns') {
  const ports = service.spec?.ports ?? [];
  const tcp = ports.filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  // DNS: the port the cluster's resolver uses (53/udp, named dns), whatever its protocol.
  if (protocol === 'dns')
    return (
      ports.find((p) => p.port === 53 && (p.protocol ?? 'TCP') === 'UDP') ??
      ports.find((p) => p.port === 53) ??
      ports.find((p) => p.name === 'dns')
    );
  return tcp[0];
}

export function kubernetesTargets(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): KubernetesTargetsResult {
  const skipped: string[] = [];
  const truncated: string[] = [];
  const byKey = new Map(services.map((s) => [`${s.metadata?.namespace}/${s.metadata?.name}`, s]));
  const wanted = new Map<string, 'tcp' | 'dns'>();
  for (const t of defaultApiTargets) if (byKey.has(`${t.namespace}/${t.name}`)) wanted.set(`${t.namespace}/${t.name}`, t.protocol);
  const labelled = services
    .filter((s) => s.metadata?.labels?.[probeLabel] === 'true')
    .map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`)
    .sort();
  for (const key of labelled) if (!wanted.has(key)) wanted.set(key, 'tcp');
  const slicesOf = new Map<string, V1EndpointSlice[]>();
  for (const slice of slices) {
    const owner = slice.metadata?.labels?.['kubernetes.io/service-name'];
    if (!owner) continue;
    const key = `${slice.metadata?.namespace}/${owner}`;
    if (!wanted.has(key)) continue;
    slicesOf.set(key, [...(slicesOf.get(key) ?? []), slice]);
  }
  const specs: TargetSpec[] = [];
  for (const [key, protocol] of wanted) {
    const service = byKey.get(key)!;
    const clusterIp = service.spec?.clusterIP;
    if (!clusterIp || clusterIp === 'None' || isIP(clusterIp) === 0) {
      skipped.push(`${key}: no cluster IP (headless or ExternalName)`);
      continue;
    }
    const port = chooseServicePort(service, protocol);
    if (!port) {
      skipped.push(`${key}: no ${protocol === 'dns' ? 'DNS (53)' : 'TCP'} port`);
      continue;
    }
    const address = hostPort(clusterIp, port.port);
    const endpoints = new Set<string>();
    for (const slice of slicesOf.get(key) ?? []) {
      if (slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6') continue;
      // The slice port that serves this Service port: same name (both may be unnamed) and protocol.
      const slicePort = slice.ports?.find(
        (p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'),
      )?.port;
      if (slicePort === undefined) continue;
      for (const endpoint of slice.endpoints ?? []) {
        if (endpoint.conditions?.ready === false) continue;
        for (const ip of endpoint.addresses ?? []) if (isIP(ip) !== 0) endpoints.add(hostPort(ip, slicePort));
      }
    }
    endpoints.delete(address);
    const sorted = [...endpoints].sort();
    if (sorted.length > maxEndpointsPerTarget) truncated.push(`${key}: ${sorted.length} endpoints, kept ${maxEndpointsPerTarget}`);
    specs.push(
      Object.freeze({
        name: key,
        protocol,
        address,
        endpoints: Object.freeze(sorted.slice(0, maxEndpointsPerTarget)),
        query: protocol === 'dns' ? defaultDnsQuery : '',
      }),
    );
  }
  return { specs, skipped, truncated };
}

/** The file's targets, then the API's not named in the file, at most `limit` in all. */
export function mergeTargetSpecs(
  file: readonly TargetSpec[],
  api: readonly TargetSpec[],
  limit: number,
): { specs: TargetSpec[]; dropped: string[] } {
  const names = new Set(file.map((s) => s.name));
  const merged = [...file, ...api.filter((s) => !names.has(s.name))];
  return { specs: merged.slice(0, limit), dropped: merged.slice(limit).map((s) => s.name) };
}
