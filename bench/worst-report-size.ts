// The encoded size of the worst real report: every route, neighbor and FDB entry missing toward
// 4,999 peers with EKS-style node names, built by the agent's real report collector.
// Usage: node bench/worst-report-size.ts [TREE] (TREE: a checkout to compare; default this one)
const tree = process.argv[2] ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { create } = await import('@bufbuild/protobuf');
const { ConnectRequestSchema, PeerSchema } = await import(`${tree}/shared/src/gen/netsentry/v1/collector_pb.js`);
const { createSilentLogger } = await import(`${tree}/shared/src/logger.ts`);
const { encodeRequest } = await import(`${tree}/shared/src/wire.ts`);
const { createNodeReportCollector } = await import(`${tree}/agent/src/node-state/collect-node-report.ts`);
const { getOverlayBackend } = await import(`${tree}/agent/src/overlay/registry.ts`);
const { capturedVxlanInput } = await import(`${tree}/agent/src/overlay/test-fixtures.ts`);
const { parseLinks } = await import(`${tree}/agent/src/kernel/parse-links.ts`);
const { loadTestdata } = await import(`${tree}/agent/src/kernel/testdata/load.ts`);
const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const peers = Array.from({ length: 4999 }, (_, j) =>
  create(PeerSchema, {
    nodeName: `ip-10-0-${j >> 8}-${j & 255}.eu-west-1.compute.internal`,
    network: 1,
    nodeIp: `192.0.2.${20 + (j % 200)}`,
    podCidrs: [`${ip(((198 << 24) + (18 << 16) + (64 << 8) + 16 * j) >>> 0)}/28`],
    vtepMac: `0a:58:00:00:${(j >> 8).toString(16).padStart(2, '0')}:${(j & 255).toString(16).padStart(2, '0')}`,
    probeAddress: `192.0.2.${20 + (j % 200)}`,
    probePort: 7946,
  }),
);
const captured = capturedVxlanInput();
const links = parseLinks(loadTestdata('ip-addr-flannel-vxlan.json'));
const c = createNodeReportCollector({
  reader: {
    links: async () => links,
    routes: async () => captured.routes.filter((r: { dev: string }) => r.dev !== 'flannel.1'),
    neighbors: async () => [],
    fdb: async () => [],
    conntrack: async () => ({ available: true, entries: 1, maxEntries: 10, insertFailedTotal: 0, dropTotal: 0, earlyDropTotal: 0 }),
    sysctls: async () => ({ ipForward: true, rpFilter: {}, unavailable: [] }),
  },
  backend: getOverlayBackend('flannel-vxlan'),
  self: captured.self,
  logger: createSilentLogger(),
});
const report = await c.collect(peers, 1n, 'periodic');
console.log(
  JSON.stringify({
    tree,
    peers: 4999,
    reportBytes: encodeRequest(create(ConnectRequestSchema, { payload: { case: 'nodeReport', value: report } })).length,
  }),
);
