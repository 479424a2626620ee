// The matrix of values the chart tests render: each variant is a way operators install it.
import type { HelmRunner, Rendered } from './helm.ts';
import type { RenderContext } from './render-checks.ts';

type Obj = Record<string, any>;
export interface ChartVariant {
  values: Obj;
  release?: string;
  ctx?: Partial<RenderContext>;
}

export const namespace = 'netsentry';

export const chartVariants: Record<string, ChartVariant> = {
  defaults: { values: {} },
  'collector on the pod network': {
    values: { collector: { hostNetwork: false }, networkPolicy: { grpcFromCidrs: ['192.0.2.0/24', '198.18.0.0/15'] } },
  },
  'monitoring on': {
    values: {
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      grafanaDashboard: { enabled: true, namespace: 'monitoring', annotations: { grafana_folder: 'Networking' } },
    },
    ctx: { otherNamespaces: ['monitoring'] },
  },
  'tls certManager': { values: { tls: { mode: 'certManager', certManager: { issuerName: 'netsentry-ca', issuerKind: 'ClusterIssuer' } } } },
  'tls and token from existing Secrets': {
    values: { tls: { mode: 'existingSecret', existingSecret: 'my-tls' }, auth: { existingSecret: 'my-token' } },
    ctx: { externalSecrets: ['my-tls', 'my-token'] },
  },
  'tls disabled, auth off': { values: { tls: { mode: 'disabled' }, auth: { enabled: false }, kubernetes: { enabled: false } } },
  'subchart with global values': { values: { global: { imageRegistry: 'registry.example', imagePullSecrets: [] } } },
  'standalone: no Kubernetes API': { values: { kubernetes: { enabled: false } } },
  'kube-rbac-proxy in front of the HTTP port': {
    values: {
      collector: { kubeRbacProxy: { enabled: true, tlsSecret: 'my-proxy-tls' }, hostNetwork: false },
      serviceMonitor: { enabled: true },
    },
    ctx: { externalSecrets: ['my-proxy-tls'] },
  },
  'targets file (Services probed from every node)': {
    values: {
      collector: {
        targets: [
          { name: 'default/web', protocol: 'tcp', address: '198.19.0.10:80', endpoints: ['198.18.1.11:8080'] },
          { name: 'kube-system/kube-dns', protocol: 'dns', address: '198.19.0.53:53' },
        ],
      },
    },
  },
  'Kubernetes API without write-back or node identity': { values: { kubernetes: { writeBack: false, nodeIdentity: false } } },
  'long release name, agents only on the host network': {
    release: 'a-release-name-long-enough-to-be-truncated-somewhere',
    values: { podAgent: { enabled: false }, serviceAccount: { collectorName: 'sa-collector' } },
  },
};

/** Renders each variant once per runner and keeps the result (tests must not mutate it: clone first). */
export function createVariantRenderer(helm: HelmRunner, variants = chartVariants) {
  const renders = new Map<string, Promise<Rendered[]>>();
  const render = (name: string): Promise<Rendered[]> => {
    const v = variants[name];
    if (!v) throw new Error(`no chart variant ${name}`);
    if (!renders.has(name)) renders.set(name, helm.template(v.values, { release: v.release ?? 'netsentry', namespace }));
    return renders.get(name)!;
  };
  const ctxOf = (name: string): RenderContext => ({ release: variants[name]?.release ?? 'netsentry', namespace, ...variants[name]?.ctx });
  return { render, ctxOf };
}
