// API answers as the collector gives them for seed 002 (node-2 lost its overlay routes), for unit tests.
import type { ApiCell, ApiFinding, ApiMatrixAnswer, ApiNode, ApiNodeMark } from './api-types.ts';

export const nowMs = Date.parse('2026-01-01T00:02:00Z');
export const names = ['node-1', 'node-2', 'node-3', 'node-4'];

export const rootFinding: ApiFinding = {
  id: 'OverlayRouteMissing:node-2',
  kind: 'OverlayRouteMissing',
  severity: 'critical',
  nodes: ['node-2'],
  summary: 'node-2 is missing overlay routes to 3 of 3 peers (route)',
  evidence: ['node-1: route missing (expected 198.18.1.0/24 via 198.18.1.0 dev flannel.1 onlink)'],
  remediation: ['Check the flannel pod on node-2', 'Restart the flannel pod on node-2'],
  since: '2026-01-01T00:00:00Z',
  explains: ['NodeIsolated:node-2'],
  state: 'open',
};
export const symptomFinding: ApiFinding = {
  id: 'NodeIsolated:node-2',
  kind: 'NodeIsolated',
  severity: 'critical',
  nodes: ['node-2'],
  summary: 'node-2 cannot reach or be reached on the pod network',
  evidence: ['node-2 → node-1: 6/6 lost'],
  remediation: ['See the root cause'],
  since: '2026-01-01T00:01:00Z',
  explains: [],
  parent: 'OverlayRouteMissing:node-2',
  state: 'open',
};

const cell = (source: string, destination: string, failing: boolean): ApiCell => ({
  source,
  destination,
  state: failing ? 'failing' : 'ok',
  attempts: 6,
  failures: failing ? 6 : 0,
  lossRatio: failing ? 1 : 0,
  rttP50Seconds: failing ? null : 0.0002,
  failing,
});

/** The marks the collector serves beside such a matrix (collector/src/http/node-marks.ts): `broken` fails all its pairs, `named` by open critical findings. */
const marksOf = (network: string, protocol: string, pairs: number, broken: string | undefined, named: readonly string[]): ApiNodeMark[] =>
  [...new Set([...named, ...(broken ? [broken] : [])])].sort().map((node) => ({
    node,
    level: 'critical',
    reasons: [
      ...(named.includes(node) ? ['OverlayRouteMissing (critical)'] : []),
      ...(node === broken ? [`fails ${pairs} of ${pairs} pairs on ${network}/${protocol}`] : []),
    ],
    failing: node === broken ? pairs : 0,
  }));

export const brokenMatrix = (broken: string | undefined, named: readonly string[] = []): ApiMatrixAnswer => ({
  matrices: (['udp', 'tcp'] as const).map((protocol) => ({
    network: 'pod',
    protocol,
    nodes: names,
    cells: names.flatMap((s) => names.filter((d) => d !== s).map((d) => cell(s, d, s === broken || d === broken))),
    marks: marksOf('pod', protocol, 2 * (names.length - 1), broken, named),
  })),
});

export const nodes: ApiNode[] = names.map((name) => ({
  name,
  hostAgent: {
    connected: true,
    lastSeen: '2026-01-01T00:01:59Z',
    overlay: { kind: 'flannel-vxlan', name: 'flannel.1', vni: 1, mtu: 1450, underlayMtu: 1500 },
    conntrack: { available: true, entries: 120, maxEntries: 262144 },
    overlayCheck:
      name === 'node-2'
        ? {
            peersChecked: 3,
            peersOk: 0,
            problems: ['node-1', 'node-3', 'node-4'].map((peer) => ({ peer, parts: [{ part: 'route', problem: 'missing' }] })),
          }
        : { peersChecked: 3, peersOk: 3, problems: [] },
  },
  podAgent: { connected: true, lastSeen: '2026-01-01T00:01:58Z' },
}));

/** A fetch that answers the collector's API from fixtures. */
export function fakeFetch(answers: { findings: ApiFinding[]; matrix?: ApiMatrixAnswer; status?: number }): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = new URL(String(input));
    const json = (body: unknown) =>
      new Response(JSON.stringify(body), { status: answers.status ?? 200, headers: { 'content-type': 'application/json' } });
    if (url.pathname.endsWith('/api/v1/findings')) return json({ findings: answers.findings });
    if (url.pathname.endsWith('/api/v1/nodes')) return json({ nodes });
    if (url.pathname.endsWith('/api/v1/matrix')) return json(answers.matrix ?? brokenMatrix(undefined));
    if (url.pathname.endsWith('/api/v1/version')) return json({ version: '9.8.7', nodeVersion: 'v24.0.0' });
    return new Response('<html>not here</html>', { status: 404 });
  }) as typeof fetch;
}

/** A pod-network matrix of `count` nodes (n1…) where `broken` fails both ways with everyone. */
export function largeMatrix(count: number, broken: string): ApiMatrixAnswer {
  const many = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  return {
    matrices: [
      {
        network: 'pod',
        protocol: 'udp',
        nodes: many,
        cells: many.flatMap((s) => many.filter((d) => d !== s).map((d) => cell(s, d, s === broken || d === broken))),
        marks: marksOf('pod', 'udp', 2 * (count - 1), broken, []),
      },
    ],
  };
}
