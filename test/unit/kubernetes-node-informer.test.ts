// The real @kubernetes/client-node against the API-server double over HTTPS: list, watch
// ADDED / MODIFIED / DELETED, bookmarks, 410 Gone → re-list, the API going away and back.
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createNodeInformer, type NodeInformer } from '../../collector/src/kubernetes/node-informer.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { flannelNode, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { waitFor } from '../harness/stack.ts';

const logger = createLogger({ name: 'test', level: 'error' });
let double: KubeApiDouble | undefined;
let informer: NodeInformer | undefined;

afterEach(async () => {
  await informer?.stop();
  await double?.close();
  informer = undefined;
  double = undefined;
}, 30_000); // HTTPS teardown can be slow on a loaded machine

const node = (i: number, extra: Partial<Parameters<typeof flannelNode>[1]> = {}) =>
  flannelNode(`node-${i}`, { internalIp: `192.0.2.${10 + i}`, podCidr: `198.18.${i}.0/24`, vtepMac: `0a:58:c6:12:0${i}:00`, ...extra });

async function start(options: { bookmarkIntervalMs?: number } = {}): Promise<{ double: KubeApiDouble; informer: NodeInformer }> {
  double = await startKubeApiDouble(options);
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(double.kubeconfigPath);
  informer = createNodeInformer({ kubeConfig, logger, now: Date.now, minBackoffMs: 100, maxBackoffMs: 400 });
  return { double, informer };
}

describe('Node informer with the real client against the API double', () => {
  it('lists, then follows ADDED, MODIFIED and DELETED; parses flannel annotations, readiness and cordon', async () => {
    const { double, informer } = await start();
    double.upsertNode(node(1));
    double.upsertNode(node(2));
    informer.start();
    await waitFor('the list', async () => informer.records.size === 2 && informer.status.synced);
    expect(informer.records.get('node-1')).toMatchObject({
      podCidrs: ['198.18.1.0/24'],
      internalIp: '192.0.2.11',
      flannelBackend: 'vxlan',
      flannelVtepMac: '0a:58:c6:12:01:00',
      flannelPublicIp: '192.0.2.11',
      ready: true,
      unschedulable: false,
      deleting: false,
    });
    double.upsertNode(node(3));
    double.upsertNode(node(2, { ready: false, unschedulable: true }));
    await waitFor('ADDED and MODIFIED', async () => informer.records.has('node-3') && informer.records.get('node-2')?.ready === false);
    expect(informer.records.get('node-2')).toMatchObject({ unschedulable: true, readyReason: 'KubeletNotReady' });
    double.deleteNode('node-1');
    await waitFor('DELETED', async () => !informer.records.has('node-1'));
    expect(informer.deleted.has('node-1')).toBe(true);
    expect(double.counts.list).toBe(1);
    // The watch asked for bookmarks.
    expect(double.requests.some((r) => r.path === '/api/v1/nodes' && r.method === 'GET')).toBe(true);
  });

  it('re-lists after 410 Gone and sees a deletion it missed while the watch was down', async () => {
    const { double, informer } = await start();
    double.upsertNode(node(1));
    double.upsertNode(node(2));
    informer.start();
    await waitFor('the list', async () => informer.records.size === 2);
    // A deletion lands, history is compacted, and the watch ends before the client saw more.
    double.compact();
    double.endWatches();
    double.deleteNode('node-2');
    double.compact();
    await waitFor(
      'a re-list after 410',
      async () => double.counts.gone >= 1 && double.counts.list >= 2 && !informer.records.has('node-2'),
      15_000,
    );
    expect(informer.records.has('node-1')).toBe(true);
    expect(informer.status.reachable).toBe(true);
  });

  it('keeps its last view while the API is unreachable, says so, and recovers with backoff', async () => {
    const { double, informer } = await start();
    double.upsertNode(node(1));
    informer.start();
    await waitFor('the list', async () => informer.records.size === 1 && informer.status.reachable);
    double.setAvailable(false);
    await waitFor('unreachable', async () => !informer.status.reachable, 15_000);
    expect(informer.records.has('node-1')).toBe(true);
    expect(informer.status.unreachableSinceMs).toBeGreaterThan(0);
    expect(informer.status.lastErrorMessage).toBeTruthy();
    const attemptsWhileDown = double.requests.length;
    double.setAvailable(true);
    double.upsertNode(node(4));
    await waitFor('back, with the change made meanwhile', async () => informer.status.reachable && informer.records.has('node-4'), 15_000);
    expect(double.requests.length).toBeGreaterThan(attemptsWhileDown);
  });

  it('asks for bookmarks and resumes from a bookmarked resourceVersion without a re-list', async () => {
    const { double, informer } = await start({ bookmarkIntervalMs: 100 });
    double.upsertNode(node(1));
    informer.start();
    await waitFor('the list', async () => informer.records.size === 1 && informer.status.reachable);
    expect(double.requests.find((r) => r.query.includes('watch=true'))?.query).toContain('allowWatchBookmarks=true');
    // Other objects change: the Node watch hears of it only through bookmarks.
    double.bumpResourceVersion(50);
    const watchesBefore = double.counts.watch;
    await waitFor(
      'a bookmark carrying the new version, taken by the client',
      async () => informer.resourceVersion === double.resourceVersion,
    );
    double.compact();
    double.endWatches();
    // Resumed, and a bookmark served on the new watch proves it is established.
    const resumedBookmarks = double.counts.bookmarks;
    await waitFor('the watch resumed', async () => double.counts.watch > watchesBefore && double.counts.bookmarks > resumedBookmarks);
    // Resumed from the bookmark: no 410, no second list.
    expect(double.counts.gone).toBe(0);
    expect(double.counts.list).toBe(1);
    expect(informer.records.has('node-1')).toBe(true);
  });
});
