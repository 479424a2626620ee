// --kubernetes auto|on|off and --kubeconfig: which API the collector reads, decided once at
// start-up and logged once. auto = the in-cluster config when the pod has one, else the
// kubeconfig when given, else off (standalone: membership from agents' hellos).
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { NetsentryError } from '../../../shared/src/errors.ts';
import type { Logger } from '../../../shared/src/logger.ts';

export const kubernetesModes = ['auto', 'on', 'off'] as const;
export type KubernetesMode = (typeof kubernetesModes)[number];

const serviceAccountToken = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface KubernetesSource {
  kubeConfig: KubeConfig;
  source: 'in-cluster' | 'kubeconfig';
  server: string;
}

export function resolveKubernetes(deps: {
  mode: KubernetesMode;
  kubeconfigPath?: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  exists?: (path: string) => boolean;
}): KubernetesSource | undefined {
  const log = deps.logger.child({ component: 'kubernetes' });
  const exists = deps.exists ?? existsSync;
  if (deps.mode === 'off') {
    log.info({ mode: 'off' }, 'Kubernetes API off (--kubernetes off): membership from agents, life-cycle events inferred from evidence');
    return undefined;
  }
  const inCluster = Boolean(deps.env.KUBERNETES_SERVICE_HOST && deps.env.KUBERNETES_SERVICE_PORT) && exists(serviceAccountToken);
  const kubeConfig = new KubeConfig();
  let source: KubernetesSource['source'] | undefined;
  try {
    if (inCluster) {
      kubeConfig.loadFromCluster();
      source = 'in-cluster';
    } else if (deps.kubeconfigPath) {
      if (!exists(deps.kubeconfigPath)) throw new NetsentryError('INVALID_CONFIG', `--kubeconfig ${deps.kubeconfigPath}: no such file`);
      kubeConfig.loadFromFile(deps.kubeconfigPath);
      source = 'kubeconfig';
    }
  } catch (err) {
    if (err instanceof NetsentryError) throw err;
    throw new NetsentryError('INVALID_CONFIG', `cannot load the Kubernetes config: ${(err as Error).message}`, { cause: err });
  }
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!source || !server) {
    if (deps.mode === 'on')
      throw new NetsentryError(
        'INVALID_CONFIG',
        '--kubernetes on, but there is no in-cluster config (KUBERNETES_SERVICE_HOST and a service-account token) and no usable --kubeconfig',
      );
    log.info(
      { mode: 'auto' },
      'Kubernetes API off (auto: no in-cluster config and no --kubeconfig): membership from agents, life-cycle events inferred from evidence',
    );
    return undefined;
  }
  log.info({ mode: deps.mode, source, server }, 'Kubernetes API on: Nodes are the source of truth for membership and the node life cycle');
  return { kubeConfig, source, server };
}
