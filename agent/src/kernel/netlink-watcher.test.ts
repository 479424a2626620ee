import { EventEmitter } from 'node:events';
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSilentLogger, type Logger } from '../../../shared/src/logger.ts';
import { canCreateNetns, createCaptureNetns, type CaptureNetns } from '../../../test/fixtures/capture-netns.ts';
import { classifyMonitorLine, createNetlinkWatcher } from './netlink-watcher.ts';

describe('classifyMonitorLine', () => {
  it.each([
    ['198.18.9.0/24 via 192.0.2.19 dev eth0 ', 'route'],
    ['Deleted 198.18.9.0/24 via 192.0.2.19 dev eth0 ', 'route'],
    ['default via 192.0.2.1 dev eth0 ', 'route'],
    ['local 198.18.1.0 dev flannel.1 table local proto kernel scope host src 198.18.1.0 ', 'route'],
    ['192.0.2.50 dev eth0 lladdr 0a:00:00:00:00:01 PERMANENT ', 'neigh'],
    ['Deleted 198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT ', 'neigh'],
    ['2: eth0: <BROADCAST,NOARP,UP,LOWER_UP> mtu 1400 qdisc pfifo_fast state UNKNOWN group default ', 'link'],
    ['Deleted 5: flannel.1: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN group default ', 'link'],
    ['[NEIGH]198.18.2.0 dev flannel.1 lladdr 0a:58:c6:12:02:00 PERMANENT', 'neigh'],
    ['    link/ether 4a:8b:f1:4c:d3:79 brd ff:ff:ff:ff:ff:ff', undefined],
    ['', undefined],
  ])('%s -> %s', (line, what) => expect(classifyMonitorLine(line)).toBe(what));
});

interface FakeChild extends EventEmitter {
  stdout: PassThrough;
  stderr: PassThrough;
  kill: (s?: string) => boolean;
}

function fakeChild(): FakeChild {
  const c = new EventEmitter() as FakeChild;
  c.stdout = new PassThrough();
  c.stderr = new PassThrough();
  c.kill = () => {
    setImmediate(() => c.emit('close', null, 'SIGTERM'));
    return true;
  };
  return c;
}

describe('createNetlinkWatcher (fake spawn)', () => {
  it('restarts with capped backoff and logs once per restart', async () => {
    vi.useFakeTimers();
    try {
      const children: FakeChild[] = [];
      const warn = vi.fn();
      const logger = { info: vi.fn(), warn, child: () => logger } as unknown as Logger;
      const events: string[] = [];
      const watcher = createNetlinkWatcher({
        logger,
        onChange: (w) => events.push(w),
        initialBackoffMs: 100,
        maxBackoffMs: 250,
        spawnFn: () => {
          const c = fakeChild();
          children.push(c);
          return c as unknown as ChildProcess;
        },
      });
      watcher.start();
      children[0]?.stdout.write('198.18.9.0/24 via 192.0.2.19 dev eth0\n    link/ether x\n');
      await vi.advanceTimersByTimeAsync(0);
      expect(events).toEqual(['route']);
      const delays: number[] = [];
      for (let i = 0; i < 4; i++) {
        children[i]?.emit('close', 1, null);
        await vi.advanceTimersByTimeAsync(0);
        delays.push((warn.mock.lastCall?.[0] as { restartInMs: number }).restartInMs);
        await vi.advanceTimersByTimeAsync(300);
      }
      expect(delays).toEqual([100, 200, 250, 250]);
      expect(warn).toHaveBeenCalledTimes(4);
      expect(children).toHaveLength(5);
      const stopped = watcher.stop();
      await vi.advanceTimersByTimeAsync(1);
      await stopped;
      expect(warn).toHaveBeenCalledTimes(4);
      await vi.advanceTimersByTimeAsync(1000);
      expect(children).toHaveLength(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('treats a spawn error as an exit and retries', async () => {
    const spawns: FakeChild[] = [];
    const watcher = createNetlinkWatcher({
      logger: createSilentLogger(),
      onChange: () => {},
      initialBackoffMs: 5,
      spawnFn: () => {
        const c = fakeChild();
        spawns.push(c);
        if (spawns.length === 1) setImmediate(() => c.emit('error', new Error('spawn ip ENOENT')));
        return c as unknown as ChildProcess;
      },
    });
    watcher.start();
    await vi.waitFor(() => expect(spawns.length).toBe(2));
    await watcher.stop();
  });
});

describe.skipIf(!canCreateNetns())('createNetlinkWatcher (real netns)', () => {
  let ns: CaptureNetns;
  beforeAll(() => {
    ns = createCaptureNetns();
    ns.exec('ip link add eth0 type bridge');
    ns.exec('ip link set eth0 up');
    ns.exec('ip addr add 192.0.2.11/24 dev eth0');
  });
  afterAll(() => ns?.destroy());

  it('reports an added route within 1 s', async () => {
    const events: string[] = [];
    const watcher = createNetlinkWatcher({ logger: createSilentLogger(), commandPrefix: ns.prefix, onChange: (w) => events.push(w) });
    watcher.start();
    try {
      // ip monitor prints nothing when it has subscribed: poke a link attribute (no route or
      // neighbor event) until its event shows, then measure the route and neighbor events.
      let pokes = 0;
      await vi.waitFor(
        () => {
          ns.exec(`ip link set eth0 alias poke-${(pokes += 1)}`);
          expect(events).toContain('link');
        },
        { timeout: 5000, interval: 50 },
      );
      expect(events.filter((w) => w !== 'link')).toEqual([]);
      const t0 = performance.now();
      ns.exec('ip route add 198.18.9.0/24 via 192.0.2.19 dev eth0 onlink');
      await vi.waitFor(() => expect(events).toContain('route'), { timeout: 1000, interval: 5 });
      expect(performance.now() - t0).toBeLessThan(1000);
      ns.exec('ip neigh add 198.18.9.1 lladdr 0a:00:00:00:00:09 dev eth0 nud permanent');
      await vi.waitFor(() => expect(events).toContain('neigh'), { timeout: 1000, interval: 5 });
    } finally {
      await watcher.stop();
    }
  });
});
