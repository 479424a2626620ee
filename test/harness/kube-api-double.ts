// A Kubernetes API server double that speaks the real protocol for what the collector uses,
// so the real @kubernetes/client-node can talk to it: HTTPS with a bearer token; Nodes list
// and watch with resourceVersion (ADDED / MODIFIED / DELETED, BOOKMARK, ERROR 410 "Expired"
// for a compacted version); Services (v1) and EndpointSlices (discovery.k8s.io/v1) list and
// watch, cluster-wide and per namespace, in the same shape; TokenReview; Events create and
// nodes/status patch, recorded. Not a real API server: no field or label selectors, no admission.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface KubeNode {
  metadata: {
    name: string;
    uid?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
  };
  spec: { podCIDR?: string; podCIDRs?: string[]; unschedulable?: boolean };
  status: {
    addresses?: { type: string; address: string }[];
    conditions?: {
      type: string;
      status: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
      lastHeartbeatTime?: string;
    }[];
  };
}

export interface KubeService {
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    ports?: { name?: string; protocol?: string; port: number; targetPort?: number | string }[];
  };
}

export interface KubeEndpointSlice {
  metadata: { name: string; namespace: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: { addresses: string[]; conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean }; nodeName?: string }[];
  ports?: { name?: string; protocol?: string; port?: number }[];
}

type Collection = 'nodes' | 'services' | 'endpointslices';
type StoredObject = KubeNode | KubeService | KubeEndpointSlice;
const kinds: Record<Collection, { kind: string; apiVersion: string }> = {
  nodes: { kind: 'Node', apiVersion: 'v1' },
  services: { kind: 'Service', apiVersion: 'v1' },
  endpointslices: { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
};
const keyOf = (object: StoredObject): string => {
  const namespace = (object.metadata as { namespace?: string }).namespace;
  return namespace ? `${namespace}/${object.metadata.name}` : object.metadata.name;
};
// GET paths of the collections: /api/v1/nodes, /api/v1[/namespaces/NS]/services,
// /apis/discovery.k8s.io/v1[/namespaces/NS]/endpointslices.
const collectionPath =
  /^(?:\/api\/v1(?:\/namespaces\/([^/]+))?\/(nodes|services)|\/apis\/discovery\.k8s\.io\/v1(?:\/namespaces\/([^/]+))?\/(endpointslices))$/;

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  contentType?: string;
  body?: unknown;
  atMs: number;
}

export interface KubeApiDouble {
  /** https://127.0.0.1:PORT */
  readonly url: string;
  /** PEM of the self-signed serving certificate (it is its own CA). */
  readonly caPem: string;
  /** The bearer token the collector must present. */
  readonly token: string;
  /** A kubeconfig file pointing at the double, for --kubeconfig. */
  readonly kubeconfigPath: string;
  /** Writes another kubeconfig for the double reached at https://127.0.0.1:port (through a relay); returns its path. */
  kubeconfigFor(port: number): Promise<string>;
  upsertNode(node: KubeNode): void;
  deleteNode(name: string): void;
  node(name: string): KubeNode | undefined;
  upsertService(service: KubeService): void;
  deleteService(namespace: string, name: string): void;
  upsertEndpointSlice(slice: KubeEndpointSlice): void;
  deleteEndpointSlice(namespace: string, name: string): void;
  /** Forgets history: a watch from any older resourceVersion gets 410 Gone. */
  compact(): void;
  /** The current resourceVersion. */
  readonly resourceVersion: string;
  /** Advances the resourceVersion as changes to other kinds of object do (only bookmarks tell a Node watcher). */
  bumpResourceVersion(by: number): void;
  /** Ends every open watch stream (as an API server does on its own timeout or restart). */
  endWatches(): void;
  /** While false, every request is answered 503 and open watches are cut. */
  setAvailable(available: boolean): void;
  /** Like issueToken, written to a file every uid can read (lab agents run as 65534); returns its path. */
  writeToken(node: string, audience: string): Promise<string>;
  /** A service-account token for a pod on `node` with `audience`; TokenReview knows it. */
  issueToken(node: string, audience: string): string;
  readonly events: RecordedRequest[];
  readonly statusPatches: RecordedRequest[];
  readonly requests: RecordedRequest[];
  /** Number of list calls and watch calls served. */
  readonly counts: { list: number; watch: number; gone: number; bookmarks: number };
  close(): Promise<void>;
}

interface WatchEvent {
  collection: Collection;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  rv: number;
  object: StoredObject;
}

const status = (code: number, reason: string, message: string) => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
});

async function selfSignedCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'apiserver.crt');
  const key = join(dir, 'apiserver.key');
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '2',
      '-subj',
      '/CN=kube-apiserver-double',
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:192.0.2.1,DNS:kubernetes.default.svc',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { timeout: 20_000 },
  );
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

const readBody = (request: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : undefined);
      } catch (err) {
        reject(err as Error);
      }
    });
    request.on('error', reject);
  });

export async function startKubeApiDouble(
  options: { host?: string; port?: number; bookmarkIntervalMs?: number } = {},
): Promise<KubeApiDouble> {
  const dir = await mkdtemp(join(tmpdir(), 'netsentry-kube-double-'));
  const pem = await selfSignedCert(dir);
  const token = `double-${Math.random().toString(36).slice(2)}`;
  const stores: Record<Collection, Map<string, StoredObject>> = { nodes: new Map(), services: new Map(), endpointslices: new Map() };
  const nodes = stores.nodes as Map<string, KubeNode>;
  const history: WatchEvent[] = [];
  let rv = 100;
  let compactedRv = 0;
  let available = true;
  const watches = new Set<{ response: ServerResponse; after: number; collection: Collection; namespace?: string }>();
  const matches = (event: WatchEvent, collection: Collection, namespace?: string): boolean =>
    event.collection === collection &&
    (namespace === undefined || (event.object.metadata as { namespace?: string }).namespace === namespace);
  const tokens = new Map<string, { node: string; audience: string }>();
  const events: RecordedRequest[] = [];
  const statusPatches: RecordedRequest[] = [];
  const requests: RecordedRequest[] = [];
  const counts = { list: 0, watch: 0, gone: 0, bookmarks: 0 };

  const send = (response: ServerResponse, code: number, body: unknown): void => {
    response.writeHead(code, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  const record = (type: WatchEvent['type'], node: StoredObject, collection: Collection = 'nodes'): void => {
    rv += 1;
    const object = structuredClone({
      ...kinds[collection],
      ...node,
      metadata: { ...node.metadata, resourceVersion: String(rv) },
    }) as StoredObject;
    if (type !== 'DELETED') stores[collection].set(keyOf(object), object);
    const event: WatchEvent = { collection, type, rv, object };
    history.push(event);
    for (const watch of watches)
      if (!watch.response.writableEnded && matches(event, watch.collection, watch.namespace))
        watch.response.write(`${JSON.stringify({ type, object })}\n`);
  };
  const upsert = (collection: Collection, object: StoredObject): void =>
    record(stores[collection].has(keyOf(object)) ? 'MODIFIED' : 'ADDED', object, collection);
  const remove = (collection: Collection, key: string): void => {
    const object = stores[collection].get(key);
    if (!object) return;
    stores[collection].delete(key);
    record('DELETED', object, collection);
  };

  const handleWatch = (response: ServerResponse, params: URLSearchParams, collection: Collection, namespace?: string): void => {
    counts.watch += 1;
    const from = Number(params.get('resourceVersion') ?? '0');
    response.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from !== 0 && from < compactedRv) {
      counts.gone += 1;
      response.end(
        `${JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${compactedRv})`) })}\n`,
      );
      return;
    }
    for (const event of history)
      if (event.rv > from && matches(event, collection, namespace))
        response.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    const watch = { response, after: from, collection, ...(namespace !== undefined ? { namespace } : {}) };
    watches.add(watch);
    const bookmarks =
      params.get('allowWatchBookmarks') === 'true'
        ? setInterval(() => {
            if (response.writableEnded) return;
            counts.bookmarks += 1;
            response.write(
              `${JSON.stringify({ type: 'BOOKMARK', object: { ...kinds[collection], metadata: { resourceVersion: String(rv) } } })}\n`,
            );
          }, options.bookmarkIntervalMs ?? 1_000)
        : undefined;
    const timeoutSeconds = Number(params.get('timeoutSeconds') ?? '0');
    const timeout = timeoutSeconds > 0 ? setTimeout(() => response.end(), timeoutSeconds * 1000) : undefined;
    response.on('close', () => {
      watches.delete(watch);
      if (bookmarks) clearInterval(bookmarks);
      if (timeout) clearTimeout(timeout);
    });
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', 'https://double');
    const path = url.pathname;
    const method = request.method ?? 'GET';
    const body = method === 'POST' || method === 'PATCH' || method === 'PUT' ? await readBody(request) : undefined;
    const entry: RecordedRequest = {
      method,
      path,
      query: url.search,
      ...(request.headers['content-type'] ? { contentType: request.headers['content-type'] } : {}),
      ...(body !== undefined ? { body } : {}),
      atMs: Date.now(),
    };
    requests.push(entry);
    if (!available) return send(response, 503, status(503, 'ServiceUnavailable', 'the double is unavailable'));
    if (request.headers.authorization !== `Bearer ${token}`) return send(response, 401, status(401, 'Unauthorized', 'Unauthorized'));

    const collectionMatch = method === 'GET' ? collectionPath.exec(path) : null;
    if (collectionMatch) {
      const collection = (collectionMatch[2] ?? collectionMatch[4]) as Collection;
      const namespace = collectionMatch[1] ?? collectionMatch[3];
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1')
        return handleWatch(response, url.searchParams, collection, namespace);
      counts.list += 1;
      const items = [...stores[collection].values()].filter(
        (o) => namespace === undefined || (o.metadata as { namespace?: string }).namespace === namespace,
      );
      return send(response, 200, {
        kind: `${kinds[collection].kind}List`,
        apiVersion: kinds[collection].apiVersion,
        metadata: { resourceVersion: String(rv) },
        items: items.map((o) => ({ ...kinds[collection], ...o })),
      });
    }
    const nodeStatus = /^\/api\/v1\/nodes\/([^/]+)\/status$/.exec(path);
    if (method === 'PATCH' && nodeStatus) {
      const name = decodeURIComponent(nodeStatus[1]!);
      const node = nodes.get(name);
      if (!node) return send(response, 404, status(404, 'NotFound', `nodes "${name}" not found`));
      statusPatches.push(entry);
      const patch = body as { status?: { conditions?: NonNullable<KubeNode['status']['conditions']> } };
      const conditions = [...(node.status.conditions ?? [])];
      // Strategic merge on conditions: merge key `type`.
      for (const condition of patch.status?.conditions ?? []) {
        const at = conditions.findIndex((c) => c.type === condition.type);
        if (at >= 0) conditions[at] = { ...conditions[at]!, ...condition };
        else conditions.push(condition);
      }
      record('MODIFIED', { ...node, status: { ...node.status, conditions } });
      return send(response, 200, { kind: 'Node', apiVersion: 'v1', ...nodes.get(name) });
    }
    if (method === 'POST' && /^\/api\/v1\/namespaces\/[^/]+\/events$/.test(path)) {
      events.push(entry);
      return send(response, 201, {
        ...(body as object),
        metadata: { ...((body as { metadata?: object }).metadata ?? {}), resourceVersion: String(++rv) },
      });
    }
    if (method === 'POST' && path === '/apis/authentication.k8s.io/v1/tokenreviews') {
      const review = body as { spec?: { token?: string; audiences?: string[] } };
      const known = tokens.get(review.spec?.token ?? '');
      const wanted = review.spec?.audiences ?? [];
      const authenticated = known !== undefined && (wanted.length === 0 || wanted.includes(known.audience));
      return send(response, 201, {
        kind: 'TokenReview',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: {},
        spec: review.spec ?? {},
        status: authenticated
          ? {
              authenticated: true,
              audiences: [known.audience],
              user: {
                username: 'system:serviceaccount:netsentry:netsentry-agent',
                uid: 'sa-uid',
                groups: ['system:serviceaccounts', 'system:serviceaccounts:netsentry', 'system:authenticated'],
                extra: {
                  'authentication.kubernetes.io/node-name': [known.node],
                  'authentication.kubernetes.io/pod-name': [`netsentry-agent-${known.node}`],
                },
              },
            }
          : { authenticated: false, error: 'invalid bearer token' },
      });
    }
    return send(response, 404, status(404, 'NotFound', `the double serves no ${method} ${path}`));
  };

  const server: Server = createServer({ cert: pem.cert, key: pem.key }, (request, response) => {
    handle(request, response).catch((err: unknown) => send(response, 400, status(400, 'BadRequest', String(err))));
  });
  // Every TCP socket, also those still in their TLS handshake, which closeAllConnections() does not
  // know: a client retrying at close time would otherwise hold server.close() open.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `https://${options.host ?? '127.0.0.1'}:${port}`;
  const { writeFile, chmod } = await import('node:fs/promises');
  const writeKubeconfig = async (path: string, server: string): Promise<string> => {
    await writeFile(
      path,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'double', cluster: { server, 'certificate-authority-data': Buffer.from(pem.cert).toString('base64') } }],
        users: [{ name: 'collector', user: { token } }],
        contexts: [{ name: 'double', context: { cluster: 'double', user: 'collector' } }],
        'current-context': 'double',
      }),
    );
    await chmod(path, 0o644);
    return path;
  };
  const kubeconfigPath = await writeKubeconfig(join(dir, 'kubeconfig'), url);
  await chmod(dir, 0o755);

  return {
    url,
    caPem: pem.cert,
    token,
    kubeconfigPath,
    kubeconfigFor: (relayPort) => writeKubeconfig(join(dir, `kubeconfig-${relayPort}`), `https://127.0.0.1:${relayPort}`),
    upsertNode: (node) => upsert('nodes', node),
    deleteNode: (name) => remove('nodes', name),
    node: (name) => nodes.get(name),
    upsertService: (service) => upsert('services', service),
    deleteService: (namespace, name) => remove('services', `${namespace}/${name}`),
    upsertEndpointSlice: (slice) => upsert('endpointslices', slice),
    deleteEndpointSlice: (namespace, name) => remove('endpointslices', `${namespace}/${name}`),
    get resourceVersion() {
      return String(rv);
    },
    bumpResourceVersion: (by) => {
      rv += by;
    },
    compact: () => {
      compactedRv = rv;
      history.length = 0;
    },
    endWatches: () => {
      for (const watch of [...watches]) {
        watches.delete(watch);
        watch.response.end();
      }
    },
    setAvailable: (value) => {
      available = value;
      if (!value) for (const watch of [...watches]) watch.response.destroy();
    },
    writeToken: async (node, audience) => {
      const issued = `sa-${node}-${Math.random().toString(36).slice(2)}`;
      tokens.set(issued, { node, audience });
      const path = join(dir, `token-${node}-${issued.slice(-6)}`);
      await writeFile(path, `${issued}\n`);
      await chmod(path, 0o644);
      return path;
    },
    issueToken: (node, audience) => {
      const issued = `sa-${node}-${Math.random().toString(36).slice(2)}`;
      tokens.set(issued, { node, audience });
      return issued;
    },
    events,
    statusPatches,
    requests,
    counts,
    close: async () => {
      for (const watch of [...watches]) watch.response.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A Ready Node as flannel annotates it. */
export function flannelNode(
  name: string,
  facts: { internalIp: string; podCidr: string; vtepMac: string; publicIp?: string; ready?: boolean; unschedulable?: boolean },
): KubeNode {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      creationTimestamp: new Date().toISOString(),
      annotations: {
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: facts.vtepMac }),
        'flannel.alpha.coreos.com/public-ip': facts.publicIp ?? facts.internalIp,
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
      },
    },
    spec: { podCIDR: facts.podCidr, podCIDRs: [facts.podCidr], ...(facts.unschedulable ? { unschedulable: true } : {}) },
    status: {
      addresses: [
        { type: 'InternalIP', address: facts.internalIp },
        { type: 'Hostname', address: name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: facts.ready === false ? 'False' : 'True',
          reason: facts.ready === false ? 'KubeletNotReady' : 'KubeletReady',
        },
      ],
    },
  };
}

/** A ClusterIP Service as the API returns it. */
export const kubeService = (
  namespace: string,
  name: string,
  clusterIP: string,
  ports: KubeService['spec']['ports'],
  labels?: Record<string, string>,
): KubeService => ({
  metadata: { namespace, name, ...(labels ? { labels } : {}) },
  spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP], ports },
});

/** An IPv4 EndpointSlice owned by Service `owner`, one address per endpoint (ready unless said). */
export const kubeEndpointSlice = (
  namespace: string,
  name: string,
  owner: string,
  ports: KubeEndpointSlice['ports'],
  endpoints: { ip: string; ready?: boolean }[],
): KubeEndpointSlice => ({
  metadata: { namespace, name, labels: { 'kubernetes.io/service-name': owner } },
  addressType: 'IPv4',
  ports,
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: { ready: e.ready ?? true } })),
});
