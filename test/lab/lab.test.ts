// Real-kernel tests of the netns lab: need root (they are skipped otherwise).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStaleLabs, createLab, type Lab } from './lab.ts';
import { createLabId } from './naming.ts';
import { run } from './run.ts';
import { processRef, statePath, writeState } from './state.ts';

const isRoot = process.getuid?.() === 0;

async function netnsWithPrefix(prefix: string): Promise<string[]> {
  const out = await run(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(prefix));
}

async function rootLinkNames(): Promise<string[]> {
  return (JSON.parse(await run(['ip', '-j', 'link', 'show'])) as { ifname: string }[]).map((l) => l.ifname);
}

describe.skipIf(!isRoot)('netns lab (3 nodes)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ nodes: 3, podsPerNode: 1 });
  }, 60_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  it('builds quickly and names everything with the lab prefix', () => {
    expect(lab.prefix).toMatch(/^nsl[0-9a-z]{4}-$/);
    expect(lab.buildMs).toBeLessThan(2_000);
    expect(lab.nodes.map((n) => n.ns)).toEqual([1, 2, 3].map((i) => `${lab.prefix}node-${i}`));
    expect(lab.node('node-3').vtepMac).toBe('0a:58:c6:12:03:00');
  });

  it('a pod on node-1 pings a pod on node-3 over VXLAN', async () => {
    const from = lab.node('node-1').pods[0]!;
    const to = lab.node('node-3').pods[0]!;
    expect(await lab.ping(from.ns, to.ip)).toBe(true);
  }, 15_000);

  it('programs route, neighbor and FDB per peer the way flannel does', async () => {
    const n1 = lab.node('node-1');
    const routes = await lab.exec(n1.ns, ['ip', 'route']);
    expect(routes).toContain('198.18.2.0/24 via 198.18.2.0 dev flannel.1 onlink');
    expect(routes).toContain('198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink');
    const neigh = await lab.exec(n1.ns, ['ip', 'neigh', 'show', 'dev', 'flannel.1']);
    expect(neigh).toContain('198.18.3.0 lladdr 0a:58:c6:12:03:00 PERMANENT');
    const fdb = await lab.exec(n1.ns, ['bridge', 'fdb', 'show', 'dev', 'flannel.1']);
    expect(fdb).toContain('0a:58:c6:12:03:00 dst 192.0.2.13 self permanent');
    const link = await lab.exec(n1.ns, ['ip', '-d', 'link', 'show', 'flannel.1']);
    expect(link).toMatch(/mtu 1450/);
    expect(link).toMatch(/vxlan id 1 local 192\.0\.2\.11 dev eth0 .*dstport 8472 nolearning/);
  });

  it('deleteOverlayRoutes breaks the path and restoreOverlay repairs it', async () => {
    const from = lab.node('node-1').pods[0]!;
    const to = lab.node('node-3').pods[0]!;
    await lab.deleteOverlayRoutes('node-1', ['node-3']);
    await lab.deleteOverlayRoutes('node-1', ['node-3']); // idempotent
    expect(await lab.exec(lab.node('node-1').ns, ['ip', 'route'])).not.toContain('198.18.3.0/24');
    expect(await lab.ping(from.ns, to.ip)).toBe(false);
    await lab.restoreOverlay('node-1');
    expect(await lab.exec(lab.node('node-1').ns, ['ip', 'route'])).toContain('198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink');
    expect(await lab.ping(from.ns, to.ip)).toBe(true);
  }, 20_000);

  it('neighbor and FDB faults are real and repairable', async () => {
    const n1 = lab.node('node-1');
    await lab.deleteFdbEntry('node-1', 'node-2');
    await lab.deleteNeighbor('node-1', 'node-2');
    await lab.deleteNeighbor('node-1', 'node-2'); // idempotent
    expect(await lab.exec(n1.ns, ['bridge', 'fdb', 'show', 'dev', 'flannel.1'])).not.toContain('0a:58:c6:12:02:00');
    await lab.setNeighborMac('node-1', 'node-3', '0a:58:c6:12:7f:00');
    expect(await lab.exec(n1.ns, ['ip', 'neigh', 'show', 'dev', 'flannel.1'])).toContain('198.18.3.0 lladdr 0a:58:c6:12:7f:00 PERMANENT');
    await lab.restoreOverlay('node-1');
    expect(await lab.ping(n1.pods[0]!.ns, lab.node('node-2').pods[0]!.ip)).toBe(true);
    expect(await lab.ping(n1.pods[0]!.ns, lab.node('node-3').pods[0]!.ip)).toBe(true);
  }, 20_000);

  it('link state and MTU changes', async () => {
    const n2 = lab.node('node-2');
    await lab.setMtu(n2.ns, 'flannel.1', 1400);
    expect(await lab.exec(n2.ns, ['ip', 'link', 'show', 'flannel.1'])).toMatch(/mtu 1400/);
    await lab.setMtu('node-2', 'flannel.1', 1450);
    await lab.setLinkState('node-2', 'cni0', false);
    expect(await lab.exec(n2.ns, ['ip', 'link', 'show', 'cni0'])).not.toMatch(/[<,]UP[,>]/);
    await lab.setLinkState('node-2', 'cni0', true);
    expect(await lab.exec(n2.ns, ['ip', 'link', 'show', 'cni0'])).toMatch(/[<,]UP[,>]/);
  });

  it('192.0.2.1 is reachable from nodes and pods; lab.http reaches a server there', async () => {
    expect(await lab.ping(lab.node('node-2').ns, '192.0.2.1')).toBe(true);
    expect(await lab.ping(lab.node('node-2').pods[0]!.ns, '192.0.2.1')).toBe(true);
    const server = lab.start(
      lab.gatewayNs,
      [
        process.execPath,
        '-e',
        "require('node:http').createServer((q, s) => s.end('ok ' + q.url)).listen(18080, '192.0.2.1', () => console.log('listening'))",
      ],
      { name: 'http-echo' },
    );
    for (let i = 0; i < 50 && !server.output().includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await lab.http(18080, '/healthz')).toEqual({ status: 200, body: 'ok /healthz' });
    await server.stop();
  }, 20_000);

  it('starts processes by pid, as another uid, and stops them', async () => {
    const proc = lab.start(lab.node('node-1').ns, ['sleep', '60'], { uid: 65534, name: 'sleeper' });
    const ps = await lab.exec(null, ['ps', '-o', 'uid=', '-p', String(proc.pid)]);
    expect(ps.trim()).toBe('65534');
    expect(await lab.exec(null, ['ip', 'netns', 'identify', String(proc.pid)])).toContain(`${lab.prefix}node-1`);
    const code = await proc.stop('SIGTERM', 2_000);
    expect(code).toBeNull(); // killed by the signal
    const echo = lab.start(null, ['sh', '-c', 'echo hello; echo oops >&2; exit 3']);
    expect(await echo.exited).toBe(3);
    expect(echo.output()).toContain('hello');
    expect(echo.output()).toContain('oops');
  });

  it("rejects namespaces that are not the lab's", async () => {
    await expect(lab.exec('not-a-lab-ns', ['true'])).rejects.toThrow(/not a namespace/);
    expect(() => lab.node('node-9')).toThrow(/no node/);
  });

  it('teardown stops processes and leaves no namespace, root veth or state file', async () => {
    const left = lab.start(lab.node('node-3').ns, ['sleep', '60']);
    await lab.teardown();
    await lab.teardown(); // idempotent
    expect(await left.exited).toBeNull();
    expect(await netnsWithPrefix(lab.prefix)).toEqual([]);
    expect(await rootLinkNames()).not.toContain(`${lab.id}u`);
    expect(existsSync(statePath(lab.id))).toBe(false);
  }, 30_000);
});

describe.skipIf(!isRoot)('netns lab: mesh-probe helpers (4 nodes)', () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await createLab({ nodes: 4, podsPerNode: 1 });
  }, 60_000);

  afterAll(async () => {
    await lab?.teardown();
  }, 60_000);

  /** One DF ping of `size` payload bytes (28 more on the wire). */
  async function dfPing(ns: string, ip: string, size: number): Promise<boolean> {
    try {
      await lab.exec(ns, ['ping', '-n', '-q', '-c', '1', '-W', '1', '-M', 'do', '-s', String(size), ip]);
      return true;
    } catch {
      return false;
    }
  }

  it('startDns serves only its records, over UDP and TCP across the overlay, and never forwards', async () => {
    const t0 = performance.now();
    const dns = await lab.startDns('node-1-pod-1', {
      'kubernetes.default.svc.cluster.local': '198.18.2.11',
      'probe.netsentry.test': '198.18.3.11',
    });
    const startMs = performance.now() - t0;
    expect(startMs).toBeLessThan(5_000);
    expect(dns.address).toBe('198.18.1.11');
    expect(dns.port).toBe(53);
    expect(await lab.exec(null, ['ip', 'netns', 'identify', String(dns.process.pid)])).toContain(`${lab.prefix}node-1-pod-1`);
    const client = lab.node('node-2').pods[0]!.ns;
    const udp = await lab.dnsQuery(client, dns.address, 'kubernetes.default.svc.cluster.local');
    expect(udp).toMatchObject({ rcode: 0, addresses: ['198.18.2.11'] });
    const tcp = await lab.dnsQuery('node-3-pod-1', dns.address, 'probe.netsentry.test', { tcp: true });
    expect(tcp).toMatchObject({ rcode: 0, addresses: ['198.18.3.11'] });
    // Anything else: NXDOMAIN from dnsmasq itself, nothing forwarded.
    expect(await lab.dnsQuery(client, dns.address, 'example.com')).toMatchObject({ rcode: 3, addresses: [] });
    const args = (await lab.exec(null, ['cat', `/proc/${dns.process.pid}/cmdline`])).split('\0');
    expect(args).toContain('--no-resolv');
    expect(args.some((a) => a.startsWith('--server'))).toBe(false);
    await dns.process.stop();
    await expect(lab.dnsQuery(client, dns.address, 'probe.netsentry.test', { timeoutMs: 300 })).rejects.toThrow(/no UDP answer/);
    console.log(`startDns ready in ${startMs.toFixed(0)} ms; UDP query ${udp.ms.toFixed(1)} ms, TCP ${tcp.ms.toFixed(1)} ms`);
  }, 30_000);

  it("dropUdp drops the node's own UDP (not VXLAN, not TCP); removeNftTable undoes it", async () => {
    const dns = await lab.startDns('node-3', { 'node-3.netsentry.test': '192.0.2.13' });
    expect(dns.address).toBe('192.0.2.13');
    const podDns = await lab.startDns('node-1-pod-1', { 'pod.netsentry.test': '198.18.1.11' });
    const n2 = lab.node('node-2');
    expect(await lab.dnsQuery('node-2', dns.address, 'node-3.netsentry.test')).toMatchObject({ addresses: ['192.0.2.13'] });

    await lab.dropUdp('node-2');
    await lab.dropUdp('node-2'); // replaces, no error
    expect(await lab.exec(n2.ns, ['nft', 'list', 'table', 'inet', 'netsentry_lab'])).toMatch(/udp dport 8472 accept/);
    await expect(lab.dnsQuery('node-2', dns.address, 'node-3.netsentry.test', { timeoutMs: 500 })).rejects.toThrow(/no UDP answer/);
    expect(await lab.dnsQuery('node-2', dns.address, 'node-3.netsentry.test', { tcp: true })).toMatchObject({ addresses: ['192.0.2.13'] });
    // VXLAN still carries pod traffic, including pod UDP (forwarded, not the node's own).
    expect(await lab.ping(n2.pods[0]!.ns, lab.node('node-3').pods[0]!.ip)).toBe(true);
    expect(await lab.dnsQuery(n2.pods[0]!.ns, podDns.address, 'pod.netsentry.test')).toMatchObject({ addresses: ['198.18.1.11'] });

    await lab.dropUdp('node-2', { exceptPorts: [8472, 53] });
    expect(await lab.dnsQuery('node-2', dns.address, 'node-3.netsentry.test')).toMatchObject({ addresses: ['192.0.2.13'] });

    await lab.dropUdp('node-2', { exceptPorts: [] }); // VXLAN too: the overlay from node-2 breaks
    expect(await lab.ping(n2.pods[0]!.ns, lab.node('node-3').pods[0]!.ip)).toBe(false);

    await lab.removeNftTable('node-2');
    await lab.removeNftTable('node-2'); // idempotent
    expect(await lab.exec(n2.ns, ['nft', 'list', 'tables'])).not.toContain('netsentry_lab');
    expect(await lab.dnsQuery('node-2', dns.address, 'node-3.netsentry.test')).toMatchObject({ addresses: ['192.0.2.13'] });
    expect(await lab.ping(n2.pods[0]!.ns, lab.node('node-3').pods[0]!.ip)).toBe(true);
    await Promise.all([dns.process.stop(), podDns.process.stop()]);
  }, 30_000);

  it('setUnderlayPortMtu makes a black hole mid-path; 1500 repairs it', async () => {
    const n1 = lab.node('node-1');
    const n4 = lab.node('node-4');
    expect(lab.underlayPort('node-4')).toBe('n4');
    await lab.setUnderlayPortMtu('node-4', 1400);
    expect(await lab.exec(lab.underlayNs, ['ip', 'link', 'show', 'n4'])).toMatch(/mtu 1400/);
    expect(await lab.exec(n4.ns, ['ip', 'link', 'show', 'eth0'])).toMatch(/mtu 1500/);
    expect(await dfPing(n1.ns, n4.underlayIp, 1472)).toBe(false);
    expect(await dfPing(n1.ns, n4.underlayIp, 56)).toBe(true);
    expect(await dfPing(n1.pods[0]!.ns, n4.pods[0]!.ip, 1422)).toBe(false);
    expect(await dfPing(n1.pods[0]!.ns, n4.pods[0]!.ip, 56)).toBe(true);
    await lab.setUnderlayPortMtu('node-4', 1500);
    expect(await dfPing(n1.ns, n4.underlayIp, 1472)).toBe(true);
    expect(await dfPing(n1.pods[0]!.ns, n4.pods[0]!.ip, 1422)).toBe(true);
  }, 30_000);

  it('pingRtt measures per-reply RTTs, bounded, and counts losses', async () => {
    const from = lab.node('node-1').pods[0]!.ns;
    const t0 = performance.now();
    const r = await lab.pingRtt(from, lab.node('node-3').pods[0]!.ip, 10, 0.05);
    const ms = performance.now() - t0;
    expect(r.sent).toBe(10);
    expect(r.received).toBe(10);
    expect(r.rttSeconds).toHaveLength(10);
    expect(r.p50Seconds).toBeGreaterThan(0);
    expect(r.p50Seconds).toBeLessThan(0.05);
    expect(ms).toBeLessThan(3_000);
    const lost = await lab.pingRtt(from, '198.18.3.99', 3, 0.1); // nobody has this address
    expect(lost).toMatchObject({ received: 0, rttSeconds: [] });
    expect(lost.sent).toBeGreaterThanOrEqual(3);
    expect(lost.p50Seconds).toBeNaN();
    await expect(lab.pingRtt(from, '10.0.0.1')).rejects.toThrow(/not a lab address/);
    console.log(`pingRtt 10 × 0.05 s in ${ms.toFixed(0)} ms, p50 ${(r.p50Seconds * 1e6).toFixed(0)} µs`);
  }, 30_000);

  it('clearFaults puts a node back as built', async () => {
    const n4 = lab.node('node-4');
    const pod4 = n4.pods[0]!;
    const pod1 = lab.node('node-1').pods[0]!;
    await lab.dropUdp('node-4', { exceptPorts: [] });
    await lab.setUnderlayPortMtu('node-4', 1400);
    await lab.deleteOverlayRoutes('node-4');
    await lab.setMtu('node-4', 'flannel.1', 1300);
    await lab.setLinkState(pod4.ns, 'eth0', false);
    expect(await lab.ping(pod1.ns, pod4.ip)).toBe(false);
    await lab.clearFaults('node-4');
    expect(await lab.exec(n4.ns, ['nft', 'list', 'tables'])).not.toContain('netsentry_lab');
    expect(await lab.exec(lab.underlayNs, ['ip', 'link', 'show', 'n4'])).toMatch(/mtu 1500/);
    expect(await dfPing(pod1.ns, pod4.ip, 1422)).toBe(true);
    expect(await dfPing(pod4.ns, pod1.ip, 1422)).toBe(true);
  }, 30_000);

  it('teardown stops dnsmasq too', async () => {
    const dns = await lab.startDns(lab.node('node-2').pods[0]!.ns, {});
    await lab.teardown();
    await dns.process.exited;
    expect(() => process.kill(dns.process.pid, 0)).toThrow();
    expect(await netnsWithPrefix(lab.prefix)).toEqual([]);
  }, 30_000);
});

describe.skipIf(!isRoot)('stale lab cleanup', () => {
  it('removes a lab whose owner pid is dead, with its processes and namespaces', async () => {
    const id = createLabId();
    const ns = `${id}-node-1`;
    await run(['ip', 'netns', 'add', ns]);
    const dead = spawn('true');
    const deadPid = dead.pid!;
    await new Promise((r) => dead.on('exit', r));
    const sleeper = spawn('ip', ['netns', 'exec', ns, 'sleep', '60'], { stdio: 'ignore' });
    const sleeperExit = new Promise((r) => sleeper.on('exit', r));
    // `ip netns exec` execs `sleep` in place: wait until the pid is the sleeper in the namespace.
    await expect.poll(() => readFileSync(`/proc/${sleeper.pid}/comm`, 'utf8').trim(), { timeout: 5_000 }).toBe('sleep');
    await writeState({
      id,
      prefix: `${id}-`,
      owner: { pid: deadPid, start: 1 },
      createdAt: new Date().toISOString(),
      netns: [ns],
      rootVeth: null,
      processes: [processRef(sleeper.pid!)],
    });
    const removed = await cleanupStaleLabs();
    expect(removed).toContain(id);
    expect(await netnsWithPrefix(`${id}-`)).toEqual([]);
    expect(existsSync(statePath(id))).toBe(false);
    await sleeperExit;
    expect(sleeper.signalCode).toBe('SIGKILL');
  }, 20_000);

  it('removes a lab namespace that has no state file', async () => {
    const id = createLabId();
    await run(['ip', 'netns', 'add', `${id}-underlay`]);
    expect(await cleanupStaleLabs()).toContain(id);
    expect(await netnsWithPrefix(`${id}-`)).toEqual([]);
  });

  it('leaves a live lab alone', async () => {
    const id = createLabId();
    const ns = `${id}-node-1`;
    await writeState({
      id,
      prefix: `${id}-`,
      owner: processRef(process.pid),
      createdAt: new Date().toISOString(),
      netns: [ns],
      rootVeth: null,
      processes: [],
    });
    await run(['ip', 'netns', 'add', ns]);
    try {
      expect(await cleanupStaleLabs()).not.toContain(id);
      expect(await netnsWithPrefix(`${id}-`)).toEqual([ns]);
    } finally {
      await run(['ip', 'netns', 'del', ns]);
      await run(['rm', '-f', statePath(id)]);
    }
  });
});
