import { describe, expect, it } from 'vitest';
import type { NetworkInterfaceInfo } from 'node:os';
import { detectPodNetwork, fallbackPodMtu, firstNameserver } from './pod-network.ts';

const v4 = (address: string, internal = false): NetworkInterfaceInfo =>
  ({
    address,
    netmask: '255.255.255.0',
    family: 'IPv4',
    mac: '00:00:00:00:00:00',
    internal,
    cidr: `${address}/24`,
  }) as NetworkInterfaceInfo;
const interfaces = { lo: [v4('127.0.0.1', true)], eth0: [v4('198.18.1.5')] };

describe('pod network detection', () => {
  it('takes the first non-internal IPv4 and the interface MTU from /sys', async () => {
    const reads: string[] = [];
    const pod = await detectPodNetwork({ interfaces, readFile: async (path) => (reads.push(path), '1450\n') });
    expect(pod).toEqual({ podIp: '198.18.1.5', interfaceName: 'eth0', mtu: 1450, notes: [] });
    expect(reads).toEqual(['/sys/class/net/eth0/mtu']);
  });

  it('uses --pod-ip to pick the interface', async () => {
    const pod = await detectPodNetwork({
      podIp: '198.18.1.5',
      interfaces: { ...interfaces, eth1: [v4('198.18.9.9')] },
      readFile: async () => '1400',
    });
    expect(pod).toMatchObject({ podIp: '198.18.1.5', interfaceName: 'eth0', mtu: 1400 });
  });

  it('falls back to 1450 with a note when the MTU cannot be read', async () => {
    const pod = await detectPodNetwork({ interfaces, readFile: async () => Promise.reject(new Error('EACCES')) });
    expect(pod.mtu).toBe(fallbackPodMtu);
    expect(pod.notes[0]).toMatch(/cannot read \/sys\/class\/net\/eth0\/mtu/);
  });

  it('fails clearly without any usable address', async () => {
    await expect(detectPodNetwork({ interfaces: { lo: [v4('127.0.0.1', true)] }, readFile: async () => '1500' })).rejects.toThrow(
      /--pod-ip/,
    );
  });

  it('reads the first nameserver from resolv.conf', () => {
    expect(
      firstNameserver('search default.svc.cluster.local\n# nameserver 1.1.1.1\nnameserver 198.18.0.10\nnameserver 198.18.0.11\n'),
    ).toBe('198.18.0.10');
    expect(firstNameserver('options ndots:5\n')).toBeUndefined();
  });
});
