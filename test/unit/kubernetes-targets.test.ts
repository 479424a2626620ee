// The real @kubernetes/client-node against the API-server double: Services and EndpointSlices
// list+watch become targets (kube-dns as DNS, kubernetes as TCP 443, labelled Services as TCP
// on their first port), follow changes, survive 410 Gone, and merge with the targets file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiTargetSource, type ApiTargetSource } from '../../collector/src/kubernetes/api-target-source.ts';
import { createMergedTargetSetSource } from '../../collector/src/targets/merged-target-source.ts';
import { createTargetsFileSource, type TargetSetSource } from '../../collector/src/targets/target-set-source.ts';
import { createLogger } from '../../shared/src/logger.ts';
import { kubeEndpointSlice, kubeService, startKubeApiDouble, type KubeApiDouble } from '../harness/kube-api-double.ts';
import { waitFor } from '../harness/stack.ts';

const logger = createLogger({ name: 'test', level: 'error' });
let double: KubeApiDouble | undefined;
let source: ApiTargetSource | undefined;
let merged: TargetSetSource | undefined;
let dir: string | undefined;

afterEach(async () => {
  merged?.close();
  await source?.stop();
  await double?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  merged = source = double = dir = undefined;
}, 30_000);

const service = kubeService;
const slice = kubeEndpointSlice;

function seedCluster(double: KubeApiDouble): void {
  double.upsertService(
    service('kube-system', 'kube-dns', '198.19.0.10', [
      { name: 'dns', protocol: 'UDP', port: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53 },
      { name: 'metrics', protocol: 'TCP', port: 9153 },
    ]),
  );
  double.upsertEndpointSlice(
    slice(
      'kube-system',
      'kube-dns-abcde',
      'kube-dns',
      [
        { name: 'dns', protocol: 'UDP', port: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153 },
      ],
      [{ ip: '198.18.1.2' }, { ip: '198.18.2.2' }, { ip: '198.18.3.2', ready: false }],
    ),
  );
  double.upsertService(service('default', 'kubernetes', '198.19.0.1', [{ name: 'https', protocol: 'TCP', port: 443 }]));
  double.upsertEndpointSlice(
    slice('default', 'kubernetes', 'kubernetes', [{ name: 'https', protocol: 'TCP', port: 6443 }], [{ ip: '192.0.2.1' }]),
  );
  // Not labelled: not a target.
  double.upsertService(service('shop', 'cart', '198.19.0.30', [{ name: 'http', protocol: 'TCP', port: 80 }]));
  double.upsertEndpointSlice(slice('shop', 'cart-1', 'cart', [{ name: 'http', protocol: 'TCP', port: 8080 }], [{ ip: '198.18.1.30' }]));
}

async function start(): Promise<{ double: KubeApiDouble; source: ApiTargetSource }> {
  double = await startKubeApiDouble({ bookmarkIntervalMs: 200 });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(double.kubeconfigPath);
  source = createApiTargetSource({ kubeConfig, logger, coalesceMs: 50, minBackoffMs: 100, maxBackoffMs: 400 });
  return { double, source };
}

describe('targets from the Kubernetes API with the real client against the API double', () => {
  it('kube-dns (DNS, ready endpoints only) and kubernetes (TCP 443 → the API server endpoints) by default', async () => {
    const { double, source } = await start();
    seedCluster(double);
    source.start();
    await waitFor('the first target set', async () => source.specs().length === 2);
    expect(source.specs()).toEqual([
      {
        name: 'kube-system/kube-dns',
        protocol: 'dns',
        address: '198.19.0.10:53',
        endpoints: ['198.18.1.2:53', '198.18.2.2:53'],
        query: 'kubernetes.default.svc.cluster.local',
      },
      { name: 'default/kubernetes', protocol: 'tcp', address: '198.19.0.1:443', endpoints: ['192.0.2.1:6443'], query: '' },
    ]);
    // Both collections are watched cluster-wide, with bookmarks.
    const watched = (path: string) =>
      double.requests.some((r) => r.path === path && r.query.includes('watch=true') && r.query.includes('allowWatchBookmarks=true'));
    await waitFor('both watches', async () => watched('/api/v1/services') && watched('/apis/discovery.k8s.io/v1/endpointslices'));
  });

  it('follows a labelled Service, its EndpointSlice changes and its removal', async () => {
    const { double, source } = await start();
    seedCluster(double);
    source.start();
    await waitFor('the first target set', async () => source.specs().length === 2);
    let changes = 0;
    source.onChange(() => changes++);
    double.upsertService(
      service(
        'shop',
        'cart',
        '198.19.0.30',
        [
          { name: 'grpc', protocol: 'UDP', port: 9000 },
          { name: 'http', protocol: 'TCP', port: 80 },
        ],
        { 'netsentry.io/probe': 'true' },
      ),
    );
    await waitFor('the labelled Service', async () => source.specs().some((s) => s.name === 'shop/cart'));
    expect(source.specs().find((s) => s.name === 'shop/cart')).toEqual({
      name: 'shop/cart',
      protocol: 'tcp',
      address: '198.19.0.30:80',
      endpoints: ['198.18.1.30:8080'],
      query: '',
    });
    double.upsertEndpointSlice(slice('shop', 'cart-2', 'cart', [{ name: 'http', protocol: 'TCP', port: 8080 }], [{ ip: '198.18.2.30' }]));
    await waitFor('a second slice', async () => source.specs().find((s) => s.name === 'shop/cart')?.endpoints.length === 2);
    double.deleteEndpointSlice('shop', 'cart-1');
    await waitFor(
      'a slice removed',
      async () =>
        source
          .specs()
          .find((s) => s.name === 'shop/cart')
          ?.endpoints.join() === '198.18.2.30:8080',
    );
    // A headless labelled Service gives no target (nothing to probe as the Service address).
    double.upsertService(service('shop', 'db', 'None', [{ name: 'pg', protocol: 'TCP', port: 5432 }], { 'netsentry.io/probe': 'true' }));
    double.deleteService('shop', 'cart');
    await waitFor('the Service gone', async () => !source.specs().some((s) => s.name === 'shop/cart'));
    expect(source.specs().map((s) => s.name)).toEqual(['kube-system/kube-dns', 'default/kubernetes']);
    expect(changes).toBeGreaterThanOrEqual(3);
  });

  it('re-lists after 410 Gone and sees an endpoint change it missed; keeps its targets while the API is down', async () => {
    const { double, source } = await start();
    seedCluster(double);
    source.start();
    await waitFor('the first target set', async () => source.specs().length === 2);
    double.compact();
    double.endWatches();
    double.upsertEndpointSlice(
      slice(
        'default',
        'kubernetes',
        'kubernetes',
        [{ name: 'https', protocol: 'TCP', port: 6443 }],
        [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }],
      ),
    );
    double.compact();
    await waitFor(
      'a re-list after 410',
      async () => double.counts.gone >= 1 && source.specs().find((s) => s.name === 'default/kubernetes')?.endpoints.length === 2,
      15_000,
    );
    const before = double.requests.length;
    double.setAvailable(false);
    // Watches cut, then at least one retry refused with 503 for each collection.
    await waitFor('refused retries', async () => double.requests.length >= before + 2, 10_000);
    expect(source.specs().map((s) => s.name)).toEqual(['kube-system/kube-dns', 'default/kubernetes']);
    double.setAvailable(true);
  });

  it('merges with the targets file: the file wins on a name clash, the set is capped at 64, and generations rise only on change', async () => {
    const { double, source } = await start();
    seedCluster(double);
    for (let i = 0; i < 70; i++)
      double.upsertService(
        service('bulk', `s${String(i).padStart(2, '0')}`, `198.19.1.${i + 1}`, [{ port: 80 }], { 'netsentry.io/probe': 'true' }),
      );
    dir = await mkdtemp(join(tmpdir(), 'netsentry-targets-'));
    const path = join(dir, 'targets.yaml');
    await writeFile(
      path,
      'targets:\n  - {name: default/kubernetes, protocol: tcp, address: "198.19.0.1:443"}\n  - {name: own, protocol: tcp, address: "198.19.9.9:80"}\n',
    );
    const file = createTargetsFileSource({ path, intervalMs: 100, logger });
    merged = createMergedTargetSetSource({ file, api: source, logger });
    expect(merged.specs().map((s) => s.name)).toEqual(['default/kubernetes', 'own']);
    const firstGeneration = merged.current().generation;
    source.start();
    await waitFor('the merged set', async () => merged!.specs().length === 64);
    const specs = merged.specs();
    expect(specs.slice(0, 3).map((s) => s.name)).toEqual(['default/kubernetes', 'own', 'kube-system/kube-dns']);
    // The file's entry, not the API's (which has the endpoint 192.0.2.1:6443).
    expect(specs[0]!.endpoints).toEqual([]);
    expect(specs.filter((s) => s.name === 'default/kubernetes')).toHaveLength(1);
    expect(specs.at(-1)!.name).toBe('bulk/s60');
    const generation = merged.current().generation;
    expect(generation).toBeGreaterThan(firstGeneration);
    expect(merged.current().targets).toHaveLength(64);
    // A change that does not alter the set (an unlabelled Service) makes no new generation.
    double.upsertService(service('shop', 'other', '198.19.0.31', [{ port: 80 }]));
    double.upsertService(service('bulk', 's00', '198.19.1.1', [{ port: 80 }]));
    await waitFor('s00 unlabelled', async () => !merged!.specs().some((s) => s.name === 'bulk/s00'));
    expect(merged.current().generation).toBe(generation + 1n);
  });
});
