// The Helm chart, checked without helm: schema, documentation, template well-formedness and the
// security settings as the default values render them (see helm-template-lint.ts for how).
import { Ajv } from 'ajv';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  checkBlockBalance,
  definedNames,
  extractDefines,
  filesGetPaths,
  includedNames,
  lookupPath,
  renderSkeleton,
  scanActions,
  valuesPaths,
} from './helm-template-lint.ts';

const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'netsentry');
const read = (path: string): string => readFileSync(join(chart, path), 'utf8');
const values = YAML.parse(read('values.yaml')) as Record<string, unknown>;
const schema = JSON.parse(read('values.schema.json')) as Record<string, unknown>;
const templateFiles = readdirSync(join(chart, 'templates')).filter((f) => /\.(yaml|tpl|txt)$/.test(f));
const manifestFiles = templateFiles.filter((f) => f.endsWith('.yaml'));
const templates = new Map(templateFiles.map((f) => [f, read(join('templates', f))]));

const defines = extractDefines(templates.get('_helpers.tpl')!);

type Doc = Record<string, any>;
/** Documents of a template rendered as a skeleton with the default values. */
function renderDefaults(file: string, overrides: Record<string, unknown> = {}): Doc[] {
  const { text, errors } = renderSkeleton(templates.get(file)!, { values: { ...values, ...overrides }, defines });
  expect(errors, file).toEqual([]);
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: false });
  for (const d of docs) expect(d.errors.map(String), file).toEqual([]);
  return docs.map((d) => d.toJS() as Doc).filter((d) => d !== null);
}

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

describe('Chart.yaml', () => {
  it('is apiVersion v2 with appVersion equal to package.json version', () => {
    const meta = YAML.parse(read('Chart.yaml')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(meta.apiVersion).toBe('v2');
    expect(meta.name).toBe('netsentry');
    expect(meta.appVersion).toBe(pkg.version);
  });
});

describe('values.schema.json', () => {
  it('is draft-07 and closed at the top level', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
  });
  it('accepts the default values.yaml', () => {
    const validate = validator();
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, auth: { ...(values.auth as object), token: 'x'.repeat(16) } })).toBe(true);
  });
  it('rejects bad values: unknown keys, wrong types, an added capability, root', () => {
    const validate = validator();
    const bad: Array<[string, (v: any) => void]> = [
      ['unknown top-level key', (v) => (v.replicas = 3)],
      ['unknown nested key', (v) => (v.hostAgent.hostNetwork = false)],
      ['probe port as string', (v) => (v.agent.probePort = '7946')],
      ['probe port out of range', (v) => (v.agent.probePort = 70000)],
      ['unknown tls mode', (v) => (v.tls.mode = 'on')],
      ['added capability', (v) => (v.agent.securityContext.capabilities.add = ['NET_ADMIN'])],
      ['privilege escalation', (v) => (v.collector.securityContext.allowPrivilegeEscalation = true)],
      ['root allowed', (v) => (v.agent.podSecurityContext.runAsNonRoot = false)],
      ['uid 0', (v) => (v.agent.securityContext.runAsUser = 0)],
      ['bad duration', (v) => (v.agent.probeInterval = '5 seconds')],
      ['bad CIDR', (v) => (v.networkPolicy.grpcFromCidrs = ['10.0.0.0'])],
      ['token shorter than the binaries accept', (v) => (v.auth.token = 'short-token')],
    ];
    for (const [what, mutate] of bad) {
      const copy = structuredClone(values);
      mutate(copy);
      expect(validate(copy), what).toBe(false);
    }
  });
});

/** Leaf keys of values.yaml: recursion stops where the schema stops listing properties (free-form maps, lists, scalars). */
function documentedLeafPaths(node: unknown, schemaNode: any, prefix: string): string[] {
  // Shared definitions ($ref: resources, security contexts, tolerations) are documented as one value.
  const s = schemaNode?.$ref ? undefined : schemaNode;
  const closed = s?.additionalProperties === false && s?.properties;
  if (!closed || node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    documentedLeafPaths(v, s.properties[k], prefix ? `${prefix}.${k}` : k),
  );
}

describe('README values table', () => {
  const readme = read('README.md');
  const tableKeys = [...readme.matchAll(/^\| `([^`]+)` \| ([^|]+) \| ([^|]*) \| ([^|]+) \|$/gm)].map((m) => m[1]!);
  const leaves = documentedLeafPaths(values, schema, '');

  it('documents every values key with type, default and description', () => {
    expect(leaves.length).toBeGreaterThan(50);
    expect(leaves.filter((k) => !tableKeys.includes(k))).toEqual([]);
  });
  it('documents no key values.yaml lacks', () => {
    expect(tableKeys.filter((k) => !lookupPath(values, k).exists)).toEqual([]);
  });
  it('says plainly what is not verified here', () => {
    expect(readme).toMatch(/not verified here/i);
    expect(readme).toMatch(/no `helm` binary/i);
  });
});

describe('templates are well-formed (without helm)', () => {
  const helperDefines = definedNames(scanActions(templates.get('_helpers.tpl')!).actions);

  it.each(templateFiles)('%s: actions closed, blocks balanced, names and paths resolve', (file) => {
    const { actions, errors } = scanActions(templates.get(file)!);
    expect(errors).toEqual([]);
    expect(checkBlockBalance(actions)).toEqual([]);
    expect(valuesPaths(actions).filter((p) => !lookupPath(values, p).exists)).toEqual([]);
    expect(includedNames(actions).filter((n) => !helperDefines.includes(n))).toEqual([]);
    expect(filesGetPaths(actions).filter((p) => !existsSync(join(chart, p)))).toEqual([]);
  });

  it.each(manifestFiles)('%s: parses as YAML with every branch kept, each document a Kubernetes object', (file) => {
    const { text, errors } = renderSkeleton(templates.get(file)!);
    expect(errors).toEqual([]);
    const docs = YAML.parseAllDocuments(text, { uniqueKeys: false });
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) {
      expect(d.errors.map(String)).toEqual([]);
      const obj = d.toJS() as Doc;
      expect(typeof obj.apiVersion).toBe('string');
      expect(typeof obj.kind).toBe('string');
      expect(obj.metadata?.name).toBeDefined();
    }
  });

  it('RBAC only in kubernetes-rbac.yaml: the collector reads Nodes and reviews tokens, nothing else', () => {
    for (const [file, text] of templates) if (file !== 'kubernetes-rbac.yaml') expect(text, file).not.toMatch(/kind:\s*(Cluster)?Role(Binding)?\b/);
    const [role, binding] = renderDefaults('kubernetes-rbac.yaml');
    expect(role!.kind).toBe('ClusterRole');
    expect(role!.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/status'], verbs: ['patch'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
      { apiGroups: ['authentication.k8s.io'], resources: ['tokenreviews'], verbs: ['create'] },
    ]);
    expect(binding!.roleRef.name).toBe(role!.metadata.name);
    expect(binding!.subjects[0].kind).toBe('ServiceAccount');
    expect(templates.get('kubernetes-rbac.yaml')).toContain('name: {{ include "netsentry.collectorServiceAccountName" . }}');
    expect(renderDefaults('kubernetes-rbac.yaml', { kubernetes: { ...(values.kubernetes as Record<string, unknown>), enabled: false } })).toEqual([]);
    const sa = renderDefaults('serviceaccounts.yaml');
    expect(sa.map((d) => d.automountServiceAccountToken)).toEqual([false, false]);
  });
});

describe('agent DaemonSets as the default values render them', () => {
  const [host] = renderDefaults('agent-host-daemonset.yaml');
  const [pod] = renderDefaults('agent-pod-daemonset.yaml');
  it('host agent: host network, cluster DNS from the host network, --network=host', () => {
    expect(host!.kind).toBe('DaemonSet');
    const spec = host!.spec.template.spec;
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(spec.containers[0].args).toContain('--network=host');
  });

  it('pod agent: pod network, --network=pod with the pod IP', () => {
    const spec = pod!.spec.template.spec;
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.dnsPolicy).toBe('ClusterFirst');
    expect(spec.containers[0].args).toEqual(expect.arrayContaining(['--network=pod', '--pod-ip=$(POD_IP)']));
    expect(spec.containers[0].env).toContainEqual({ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } });
  });

  it.each([['host'], ['pod']])('%s agent: no capability, non-root 65534, read-only root, no escalation, RuntimeDefault seccomp', (which) => {
    const spec = (which === 'host' ? host : pod)!.spec.template.spec;
    const c = spec.containers[0];
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65534,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, seccompProfile: { type: 'RuntimeDefault' } });
    expect(spec.automountServiceAccountToken).toBe(false);
    // Runs on every node, tainted or not.
    expect(spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(c.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    // The only listening port is the probe responder's; both probes use its TCP side.
    expect(c.readinessProbe.tcpSocket.port).toBe('probe-tcp');
    expect(c.livenessProbe.tcpSocket.port).toBe('probe-tcp');
    expect(c.ports.map((p: Doc) => `${p.name}/${p.protocol}`)).toEqual(['probe-udp/UDP', 'probe-tcp/TCP']);
    expect(c.resources.requests).toBeDefined();
    expect((which === 'host' ? host : pod)!.spec.updateStrategy.rollingUpdate.maxUnavailable).toBe(1);
  });

  it('priorityClassName is an option (empty by default, so not rendered)', () => {
    expect(values.agent).toMatchObject({ priorityClassName: '' });
    expect(host!.spec.template.spec.priorityClassName).toBeUndefined();
    expect(templates.get('agent-host-daemonset.yaml')).toContain('{{- with .Values.agent.priorityClassName }}');
  });

  it.each([['host'], ['pod']])('%s agent: the collector address, the token and, with TLS, only the CA — never the server key', (which) => {
    const spec = (which === 'host' ? host : pod)!.spec.template.spec;
    const c = spec.containers[0];
    expect(c.args).toEqual(expect.arrayContaining(['--node-name=$(NODE_NAME)', '--probe-listen=0.0.0.0:7946', '--auth-token-file=/etc/netsentry/sa-token/token', '--tls-ca-file=/etc/netsentry/tls/ca.crt']));
    expect(c.args.filter((a: string) => a.startsWith('--collector='))).toHaveLength(1);
    expect(c.volumeMounts.map((m: Doc) => m.mountPath)).toEqual(['/tmp', '/etc/netsentry/auth', '/etc/netsentry/tls', '/etc/netsentry/sa-token']);
    // With the API on, the agent's identity is a projected ServiceAccount token for audience netsentry.
    expect(spec.volumes.find((v: Doc) => v.name === 'sa-token').projected.sources).toEqual([{ serviceAccountToken: { audience: 'netsentry', expirationSeconds: 3600, path: 'token' } }]);
    const tls = spec.volumes.find((v: Doc) => v.name === 'tls');
    expect(tls.secret.items).toEqual([{ key: 'ca.crt', path: 'ca.crt' }]);
    expect(spec.volumes.find((v: Doc) => v.name === 'auth').secret.items).toEqual([{ key: 'token', path: 'token' }]);
  });

  it('the collector address is the Service DNS name on the gRPC port', () => {
    const helpers = templates.get('_helpers.tpl')!;
    expect(helpers).toContain('{{- printf "%s.%s.svc.%s" (include "netsentry.collectorName" .) .Release.Namespace .Values.clusterDomain }}');
    expect(helpers).toContain('{{- printf "%s:%d" (include "netsentry.collectorHost" .) (int .Values.collector.service.grpcPort) }}');
  });
});

describe('collector as the default values render it', () => {
  const [deployment] = renderDefaults('collector-deployment.yaml');
  const [service] = renderDefaults('collector-service.yaml');

  it('is non-root with a read-only root, no capability, health and readiness probes', () => {
    const spec = deployment!.spec.template.spec;
    const c = spec.containers[0];
    // Host agents reach it over the underlay, not through the overlay they verify.
    expect(spec.hostNetwork).toBe(true);
    expect(spec.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  });

  it('is given the token and the server certificate', () => {
    const spec = deployment!.spec.template.spec;
    const args = spec.containers[0].args as string[];
    // With the API on (the default), agents' tokens are reviewed by TokenReview instead of the shared token.
    expect(args).toEqual(['--grpc-listen=0.0.0.0:7443', '--http-listen=0.0.0.0:8080', '--log-level=info', '--kubernetes=on', '--token-audience=netsentry', '--write-back=on', '--tls-cert-file=/etc/netsentry/tls/tls.crt', '--tls-key-file=/etc/netsentry/tls/tls.key']);
    expect(spec.volumes.find((v: Doc) => v.name === 'tls').secret.items.map((i: Doc) => i.key)).toEqual(['tls.crt', 'tls.key']);
    expect(spec.automountServiceAccountToken).toBe(true);
    const [standalone] = renderDefaults('collector-deployment.yaml', { kubernetes: { ...(values.kubernetes as Record<string, unknown>), enabled: false } });
    expect(standalone!.spec.template.spec.containers[0].args).toEqual(['--grpc-listen=0.0.0.0:7443', '--http-listen=0.0.0.0:8080', '--log-level=info', '--kubernetes=off', '--auth-token-file=/etc/netsentry/auth/token', '--tls-cert-file=/etc/netsentry/tls/tls.crt', '--tls-key-file=/etc/netsentry/tls/tls.key']);
    expect(standalone!.spec.template.spec.automountServiceAccountToken).toBe(false);
  });

  it('Service exposes grpc 7443 and http 8080 and carries the job label for the ServiceMonitor', () => {
    expect(service!.spec.ports.map((p: Doc) => p.name)).toEqual(['grpc', 'http']);
    expect(values.collector).toMatchObject({ service: { grpcPort: 7443, httpPort: 8080 } });
    expect(values.serviceMonitor).toMatchObject({ enabled: false, jobName: 'netsentry-collector' });
    expect(templates.get('collector-service.yaml')).toContain('netsentry.io/prometheus-job: {{ .Values.serviceMonitor.jobName }}');
    expect(templates.get('servicemonitor.yaml')).toContain('jobLabel: netsentry.io/prometheus-job');
  });

  it('NetworkPolicy: gRPC from pod agents plus grpcFromCidrs, HTTP from listed namespaces', () => {
    const text = templates.get('collector-networkpolicy.yaml')!;
    expect(text).toContain('{{- with .Values.networkPolicy.grpcFromCidrs }}');
    expect(text).toContain('"component" "agent-pod"');
    expect(text).toContain('{{- range .Values.networkPolicy.httpFromNamespaces }}');
    // A NetworkPolicy cannot select a host-network pod: none by default, one on the pod network.
    expect(renderDefaults('collector-networkpolicy.yaml')).toEqual([]);
    const [policy] = renderDefaults('collector-networkpolicy.yaml', { collector: { ...(values.collector as object), hostNetwork: false } });
    expect(policy!.spec.policyTypes).toEqual(['Ingress']);
    expect(policy!.spec.ingress).toHaveLength(2);
  });
});

describe('TLS and token defaults', () => {
  it('TLS is on (auto) and the token is generated by default', () => {
    expect(values.tls).toMatchObject({ mode: 'auto' });
    expect(values.auth).toMatchObject({ enabled: true, token: '', existingSecret: '' });
    expect(templates.get('auth-secret.yaml')).toContain('randAlphaNum 48');
    expect(templates.get('auth-secret.yaml')).toContain('lookup "v1" "Secret"');
    expect(templates.get('tls-secret.yaml')).toContain('genSignedCert');
    expect(templates.get('certificate.yaml')).toContain('kind: Certificate');
  });
});

describe('embedded alert rules and dashboard', () => {
  it('the files exist and parse: a rule file with groups, a JSON dashboard', () => {
    const rules = YAML.parse(read('files/netsentry-alerts.yaml')) as { groups?: unknown };
    expect(Array.isArray(rules.groups)).toBe(true);
    expect(typeof JSON.parse(read('files/netsentry-dashboard.json'))).toBe('object');
  });
  it('PrometheusRule and dashboard ConfigMap embed exactly those files', () => {
    const all = [...templates.values()].flatMap((t) => filesGetPaths(scanActions(t).actions));
    expect(all.sort()).toEqual(['files/netsentry-alerts.yaml', 'files/netsentry-dashboard.json']);
    expect(filesGetPaths(scanActions(templates.get('prometheusrule.yaml')!).actions)).toEqual(['files/netsentry-alerts.yaml']);
    expect(filesGetPaths(scanActions(templates.get('grafana-dashboard-configmap.yaml')!).actions)).toEqual(['files/netsentry-dashboard.json']);
    expect(templates.get('grafana-dashboard-configmap.yaml')).toContain('{{ .Values.grafanaDashboard.labelKey }}: {{ .Values.grafanaDashboard.labelValue | quote }}');
    expect(values.grafanaDashboard).toMatchObject({ enabled: false, labelKey: 'grafana_dashboard', labelValue: '1' });
  });
  // Helm's nindent: a newline, then every line indented (sprig: pad + replace "\n" with "\n"+pad).
  const nindent = (n: number, text: string): string => `\n${' '.repeat(n)}${text.replaceAll('\n', `\n${' '.repeat(n)}`)}`;
  it('embedding keeps the rule file as it is: spec parses back to the file', () => {
    const file = read('files/netsentry-alerts.yaml');
    const rendered = YAML.parse(`spec:${nindent(2, file)}\n`) as { spec: unknown };
    expect(rendered.spec).toEqual(YAML.parse(file));
  });
  it('embedding keeps the dashboard as it is: the ConfigMap value is the JSON file', () => {
    const file = read('files/netsentry-dashboard.json');
    const rendered = YAML.parse(`data:\n  netsentry-dashboard.json: |-${nindent(4, file)}\n`) as { data: Record<string, string> };
    expect(JSON.parse(rendered.data['netsentry-dashboard.json']!)).toEqual(JSON.parse(file));
  });
  it('the rules sit under spec: as the rule file is (spec.groups)', () => {
    expect(templates.get('prometheusrule.yaml')).toMatch(/^spec:\n {2}\{\{- \.Files\.Get "files\/netsentry-alerts\.yaml" \| nindent 2 \}\}$/m);
  });
});
