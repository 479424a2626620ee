// The Kubernetes half of the target set: Services and EndpointSlices watched cluster-wide,
// turned into targets (targets/kubernetes-targets.ts) once both are listed, and again when
// either changes — coalesced, so a burst of EndpointSlice updates makes one new set.
import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1EndpointSlice, type V1Service } from '@kubernetes/client-node';
import type { Logger } from '../../../shared/src/logger.ts';
import { kubernetesTargets } from '../targets/kubernetes-targets.ts';
import type { TargetSpec } from '../targets/targets-file.ts';
import { createResourceInformer } from './resource-informer.ts';

export interface ApiTargetSource {
  start(): void;
  stop(): Promise<void>;
  /** The API's targets; empty until Services and EndpointSlices are both listed. */
  specs(): readonly TargetSpec[];
  onChange(listener: () => void): void;
}

export function createApiTargetSource(deps: {
  kubeConfig: KubeConfig;
  logger: Logger;
  coalesceMs?: number;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}): ApiTargetSource {
  const log = deps.logger.child({ component: 'kubernetes-targets' });
  const core = deps.kubeConfig.makeApiClient(CoreV1Api);
  const discovery = deps.kubeConfig.makeApiClient(DiscoveryV1Api);
  const backoff = {
    ...(deps.minBackoffMs !== undefined ? { minBackoffMs: deps.minBackoffMs } : {}),
    ...(deps.maxBackoffMs !== undefined ? { maxBackoffMs: deps.maxBackoffMs } : {}),
  };
  const services = createResourceInformer<V1Service>({
    kubeConfig: deps.kubeConfig,
    path: '/api/v1/services',
    listFn: () => core.listServiceForAllNamespaces(),
    what: 'services',
    logger: deps.logger,
    ...backoff,
  });
  const slices = createResourceInformer<V1EndpointSlice>({
    kubeConfig: deps.kubeConfig,
    path: '/apis/discovery.k8s.io/v1/endpointslices',
    listFn: () => discovery.listEndpointSliceForAllNamespaces(),
    what: 'endpointslices',
    logger: deps.logger,
    ...backoff,
  });
  const listeners = new Set<() => void>();
  let specs: readonly TargetSpec[] = [];
  let shown = '';
  let timer: NodeJS.Timeout | undefined;

  const recompute = (): void => {
    timer = undefined;
    if (!services.synced || !slices.synced) return;
    const result = kubernetesTargets(services.list(), slices.list());
    const text = JSON.stringify(result.specs);
    if (text === shown) return;
    shown = text;
    specs = result.specs;
    log.info(
      {
        targets: specs.map((s) => `${s.name} ${s.address} (${s.endpoints.length} endpoints)`),
        ...(result.skipped.length ? { skipped: result.skipped } : {}),
        ...(result.truncated.length ? { truncated: result.truncated } : {}),
      },
      'targets from the Kubernetes API',
    );
    for (const listener of [...listeners]) listener();
  };
  const schedule = (): void => {
    if (timer) return;
    timer = setTimeout(recompute, deps.coalesceMs ?? 500);
    timer.unref();
  };
  services.onChange(schedule);
  slices.onChange(schedule);

  return {
    start: () => {
      services.start();
      slices.start();
    },
    stop: async () => {
      if (timer) clearTimeout(timer);
      await Promise.all([services.stop(), slices.stop()]);
    },
    specs: () => specs,
    onChange: (listener) => {
      listeners.add(listener);
    },
  };
}
