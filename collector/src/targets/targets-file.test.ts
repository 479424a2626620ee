import { describe, expect, it } from 'vitest';
import { maxTargets, parseTargetsFile } from './targets-file.ts';

describe('parseTargetsFile', () => {
  it('reads tcp and dns targets, defaulting the DNS query and dropping duplicate endpoints', () => {
    const specs = parseTargetsFile(`
targets:
  - name: default/web
    protocol: tcp
    address: 198.19.0.10:80
    endpoints: [198.18.1.5:8080, 198.18.2.5:8080, 198.18.1.5:8080]
  - name: kube-system/kube-dns
    protocol: dns
    address: 198.19.0.53:53
`);
    expect(specs).toEqual([
      { name: 'default/web', protocol: 'tcp', address: '198.19.0.10:80', endpoints: ['198.18.1.5:8080', '198.18.2.5:8080'], query: '' },
      {
        name: 'kube-system/kube-dns',
        protocol: 'dns',
        address: '198.19.0.53:53',
        endpoints: [],
        query: 'kubernetes.default.svc.cluster.local',
      },
    ]);
  });

  it('accepts an empty file and an empty list', () => {
    expect(parseTargetsFile('')).toEqual([]);
    expect(parseTargetsFile('targets: []')).toEqual([]);
  });

  it('names every problem with its place', () => {
    const bad = `
targets:
  - name: a
    protocol: udp
    address: example.com:80
    endpoints: [198.18.1.5]
    color: red
  - name: a
    protocol: tcp
    address: 198.19.0.1:80
    query: x.example
`;
    expect(() => parseTargetsFile(bad)).toThrow(
      /targets\[0\]: unknown key "color".*targets\[0\]\.protocol: must be tcp or dns.*targets\[0\]\.address.*targets\[0\]\.endpoints\[0\].*targets\[1\]\.name: a appears twice.*targets\[1\]\.query/,
    );
  });

  it('refuses non-YAML, a wrong shape, names as addresses and too many targets', () => {
    expect(() => parseTargetsFile('targets: [')).toThrow(/not YAML/);
    expect(() => parseTargetsFile('- a')).toThrow(/mapping with a `targets` list/);
    expect(() => parseTargetsFile('targets: {}')).toThrow(/must be a list/);
    expect(() => parseTargetsFile('targets: [{name: x, protocol: tcp, address: "localhost:80"}]')).toThrow(/address: must be IP:PORT/);
    expect(() => parseTargetsFile('targets: [{name: x, protocol: tcp, address: "198.19.0.1:0"}]')).toThrow(/address/);
    const many = Array.from(
      { length: maxTargets + 1 },
      (_, i) => `  - {name: t${i}, protocol: tcp, address: "198.19.0.${i % 250}:80"}`,
    ).join('\n');
    expect(() => parseTargetsFile(`targets:\n${many}`)).toThrow(/at most 64/);
  });

  it('takes IPv6 only in brackets', () => {
    expect(parseTargetsFile('targets: [{name: v6, protocol: tcp, address: "[2001:db8::1]:80"}]')[0]!.address).toBe('[2001:db8::1]:80');
    expect(() => parseTargetsFile('targets: [{name: v6, protocol: tcp, address: "2001:db8::1:80"}]')).toThrow(/address/);
  });
});
