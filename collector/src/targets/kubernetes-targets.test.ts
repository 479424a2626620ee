import type { V1EndpointSlice, V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { kubernetesTargets, mergeTargetSpecs } from './kubernetes-targets.ts';
import type { TargetSpec } from './targets-file.ts';

const svc = (
  namespace: string,
  name: string,
  clusterIP: string,
  ports: { name?: string; protocol?: string; port: number }[],
  labels?: Record<string, string>,
): V1Service => ({ metadata: { namespace, name, ...(labels ? { labels } : {}) }, spec: { clusterIP, ports } }) as V1Service;
const slice = (
  namespace: string,
  owner: string,
  addressType: string,
  port: { name?: string; protocol?: string; port: number },
  ips: string[],
): V1EndpointSlice =>
  ({
    metadata: { namespace, name: `${owner}-x`, labels: { 'kubernetes.io/service-name': owner } },
    addressType,
    ports: [port],
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
  }) as V1EndpointSlice;
const probe = { 'netsentry.io/probe': 'true' };

describe('kubernetesTargets', () => {
  it('brackets IPv6, matches slice ports by name and protocol, ignores FQDN slices and unlabelled Services', () => {
    const result = kubernetesTargets(
      [svc('a', 'v6', 'fd00::10', [{ name: 'web', port: 80 }], probe), svc('a', 'plain', '198.19.0.5', [{ port: 80 }])],
      [
        slice('a', 'v6', 'IPv6', { name: 'web', protocol: 'TCP', port: 8080 }, ['fd00::1']),
        slice('a', 'v6', 'FQDN', { name: 'web', port: 8080 }, ['db.example']),
        slice('a', 'v6', 'IPv6', { name: 'other', port: 9 }, ['fd00::2']),
      ],
    );
    expect(result.specs).toEqual([{ name: 'a/v6', protocol: 'tcp', address: '[fd00::10]:80', endpoints: ['[fd00::1]:8080'], query: '' }]);
  });

  it('names what it skips and caps endpoints at 32', () => {
    const ips = Array.from({ length: 40 }, (_, i) => `198.18.0.${i + 1}`);
    const result = kubernetesTargets(
      [
        svc('a', 'udp-only', '198.19.0.6', [{ protocol: 'UDP', port: 9 }], probe),
        svc('a', 'headless', 'None', [{ port: 80 }], probe),
        svc('a', 'big', '198.19.0.7', [{ port: 80 }], probe),
      ],
      [slice('a', 'big', 'IPv4', { port: 80 }, ips)],
    );
    expect(result.specs.map((s) => [s.name, s.endpoints.length])).toEqual([['a/big', 32]]);
    expect(result.skipped).toEqual(['a/headless: no cluster IP (headless or ExternalName)', 'a/udp-only: no TCP port']);
    expect(result.truncated).toEqual(['a/big: 40 endpoints, kept 32']);
  });

  it('merge: the file first, its names win, capped', () => {
    const spec = (name: string, address: string): TargetSpec => ({ name, protocol: 'tcp', address, endpoints: [], query: '' });
    const { specs, dropped } = mergeTargetSpecs(
      [spec('x', '198.19.0.1:1'), spec('y', '198.19.0.2:1')],
      [spec('y', '198.19.0.9:9'), spec('z', '198.19.0.3:1'), spec('w', '198.19.0.4:1')],
      3,
    );
    expect(specs.map((s) => s.address)).toEqual(['198.19.0.1:1', '198.19.0.2:1', '198.19.0.3:1']);
    expect(dropped).toEqual(['w']);
  });
});
