// Targets fed from the Kubernetes API, DNS judged per CoreDNS endpoint, the API server as a
// target (seed 001) and link error counters (issue 16), in one 4-node lab with host and pod
// agents. The collector reads Services and EndpointSlices from the API double (the real
// @kubernetes/client-node over HTTPS); the lab programs the same Services as nft DNAT rules on
// every node (kube-proxy's nftables mode): kube-dns (UDP 53) over two dnsmasq pods, the
// `kubernetes` Service over a stand-in API server on the underlay (192.0.2.1:6443), and a
// labelled TCP Service over two pods. Faults are real: a CoreDNS endpoint stopped by its pid
// or answering NXDOMAIN, junk frames raising one node's underlay drop counter, a drop from
// one node's pods to the API server, the API server stopped, one node's rules for one Service
// gone, and an endpoint leaving its EndpointSlice.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exposeToNamespace } from '../harness/expose-to-namespace.ts';
import {
  flannelNode,
  kubeEndpointSlice,
  kubeService,
  startKubeApiDouble,
  type KubeApiDouble,
  type KubeEndpointSlice,
} from '../harness/kube-api-double.ts';
import { onlyFindingsThroughout, startStack, waitFor, waitForLogLine, type Finding, type Stack } from '../harness/stack.ts';
import type { Lab, LabDns, LabProcess } from '../lab/lab.ts';
import { junkFramesArgv } from '../lab/link-noise.ts';
import { clearEndpointDrop, dropToEndpoint, installServices, tcpServerArgv, type LabService } from '../lab/services.ts';

const probeIntervalSeconds = 2;
const detectTimeoutMs = 10 * probeIntervalSeconds * 1000;
const dnsQuery = 'kubernetes.default.svc.cluster.local';
const dnsRecords = { [dnsQuery]: '198.19.0.1' };
const apiServer = { ip: '192.0.2.1', port: 6443 };

let double: KubeApiDouble;
let stack: Stack;
let closeRelay: (() => Promise<void>) | undefined;
let services: LabService[] = [];
const dnsServers = new Map<string, LabDns>();
const servers = new Map<string, LabProcess>();
let apiServerStandIn: LabProcess | undefined;

const dnsPods = ['node-1', 'node-3'];
const webPods = ['node-2', 'node-4'];
const podIp = (lab: Lab, node: string): string => lab.node(node).pods[0]!.ip;

const kubeSlice = (namespace: string, owner: string, ports: KubeEndpointSlice['ports'], ips: string[]): KubeEndpointSlice =>
  kubeEndpointSlice(
    namespace,
    `${owner}-abcde`,
    owner,
    ports,
    ips.map((ip) => ({ ip })),
  );
const webSlice = (ips: string[]) => kubeSlice('default', 'web', [{ name: 'http', protocol: 'TCP', port: 8080 }], ips);
const labServices = (lab: Lab, webEndpoints = webPods): LabService[] => [
  { ip: '198.19.0.53', port: 53, protocol: 'udp', endpoints: dnsPods.map((n) => ({ ip: podIp(lab, n), port: 53 })) },
  { ip: '198.19.0.1', port: 443, endpoints: [apiServer] },
  { ip: '198.19.0.10', port: 80, endpoints: webEndpoints.map((n) => ({ ip: podIp(lab, n), port: 8080 })) },
];

const startDns = async (node: string, records: Record<string, string>): Promise<void> => {
  dnsServers.set(node, await stack.lab.startDns(stack.lab.node(node).pods[0]!.name, records));
};
const startWebServer = async (lab: Lab, node: string): Promise<void> => {
  const pod = lab.node(node).pods[0]!;
  const proc = lab.start(pod.ns, tcpServerArgv(process.execPath, pod.ip, 8080), { name: `web-${node}`, uid: 65534 });
  servers.set(node, proc);
  await waitForLogLine(proc, 'listening');
};
const startApiServerStandIn = async (lab: Lab): Promise<void> => {
  apiServerStandIn = lab.start(lab.gatewayNs, tcpServerArgv(process.execPath, apiServer.ip, apiServer.port), { name: 'apiserver-standin' });
  await waitForLogLine(apiServerStandIn, 'listening');
};

interface TargetsView {
  targets: {
    name: string;
    service: { probedFrom: number; failingCount: number };
    endpoints: { address: string; probedFrom: number; failingCount: number }[];
  }[];
}
/** Every target of the API's set is probed from all four nodes and fails from none. */
const allTargetsHealthy = async (endpointCount: number): Promise<boolean> => {
  const { targets } = await stack.getJson<TargetsView>('/api/v1/targets');
  const addresses = targets.flatMap((t) => [t.service, ...t.endpoints]);
  return (
    targets.length === 3 &&
    targets.reduce((n, t) => n + t.endpoints.length, 0) === endpointCount &&
    addresses.every((a) => a.probedFrom === 4 && a.failingCount === 0) &&
    (await stack.findings()).length === 0
  );
};

beforeAll(async () => {
  double = await startKubeApiDouble({ bookmarkIntervalMs: 2_000 });
  stack = await startStack({
    nodes: 4,
    agentNodes: [],
    collectorArgs: ['--kubernetes', 'on', '--agent-missing-after', '5s', '--converge-grace', '5s', '--target-startup-grace', '120s'],
    // A short periodic pass: link counter rates come from it.
    agentArgs: ['--probe-interval', `${probeIntervalSeconds}s`, '--verify-interval', '3s'],
    podAgentArgs: ['--probe-interval', `${probeIntervalSeconds}s`],
    beforeCollector: async (lab) => {
      const relay = await exposeToNamespace(lab, lab.gatewayNs, Number(new URL(double.url).port));
      closeRelay = relay.close;
      services = labServices(lab);
      await Promise.all(lab.nodes.map((n) => installServices(n.ns, services)));
      await Promise.all([...webPods.map((n) => startWebServer(lab, n)), startApiServerStandIn(lab)]);
      return ['--kubeconfig', await double.kubeconfigFor(relay.port)];
    },
  });
  const lab = stack.lab;
  await Promise.all(dnsPods.map((n) => startDns(n, dnsRecords)));
  for (const node of lab.nodes)
    double.upsertNode(flannelNode(node.name, { internalIp: node.underlayIp, podCidr: node.podCidr, vtepMac: node.vtepMac }));
  double.upsertService(
    kubeService('kube-system', 'kube-dns', '198.19.0.53', [
      { name: 'dns', protocol: 'UDP', port: 53 },
      { name: 'dns-tcp', protocol: 'TCP', port: 53 },
    ]),
  );
  double.upsertEndpointSlice(
    kubeSlice(
      'kube-system',
      'kube-dns',
      [
        { name: 'dns', protocol: 'UDP', port: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53 },
      ],
      dnsPods.map((n) => podIp(lab, n)),
    ),
  );
  double.upsertService(kubeService('default', 'kubernetes', '198.19.0.1', [{ name: 'https', protocol: 'TCP', port: 443 }]));
  double.upsertEndpointSlice(
    kubeSlice('default', 'kubernetes', [{ name: 'https', protocol: 'TCP', port: apiServer.port }], [apiServer.ip]),
  );
  double.upsertService(
    kubeService('default', 'web', '198.19.0.10', [{ name: 'http', protocol: 'TCP', port: 80 }], { 'netsentry.io/probe': 'true' }),
  );
  double.upsertEndpointSlice(webSlice(webPods.map((n) => podIp(lab, n))));
  await Promise.all(
    lab.nodes.map(async (node) => {
      const token = await double.writeToken(node.name, 'netsentry');
      await Promise.all([
        stack.startAgent(node.name, ['--auth-token-file', token]),
        stack.startPodAgent(node.name, ['--auth-token-file', token]),
      ]);
    }),
  );
  await waitFor('every API target reached from every node, no finding', () => allTargetsHealthy(5), 120_000, 500);
}, 300_000);

// A failed test must not leave its fault for the next one.
afterEach(async () => {
  if (!stack) return;
  await Promise.all(stack.lab.nodes.map(async (n) => Promise.all([installServices(n.ns, services), clearEndpointDrop(n.ns)])));
});

afterAll(async () => {
  await stack?.teardown();
  await closeRelay?.();
  await double?.close();
});

const open = () => stack.findings();
/** Over a few probe rounds every open finding must satisfy `ok`: precision while a fault lasts. */
const holds = (what: string, ok: (f: Finding) => boolean, rounds = 3) =>
  onlyFindingsThroughout(stack, what, ok, rounds * probeIntervalSeconds * 1000);
const clean = (what: string) => waitFor(what, async () => (await open()).length === 0, detectTimeoutMs);

describe('DNS judged per CoreDNS endpoint', () => {
  it('one CoreDNS pod stopped, then answering NXDOMAIN → TargetUnreachable naming that endpoint, no probing node; repaired → clean', async () => {
    const endpoint = `${podIp(stack.lab, 'node-3')}:53`;
    const id = `TargetUnreachable:kube-system/kube-dns:${endpoint}`;
    await dnsServers.get('node-3')!.process.stop('SIGTERM');
    const stopped = await waitFor('the CoreDNS endpoint finding', async () => (await open()).find((f) => f.id === id), detectTimeoutMs);
    // Named by the endpoint and the node hosting that pod; none of the four probing nodes is blamed.
    expect(stopped.nodes).toEqual(['node-3']);
    expect(stopped.severity).toBe('critical');
    expect(stopped.summary).toContain(endpoint);
    await holds('only the stopped endpoint', (f) => f.id === id);

    // It comes back answering, but wrongly: NXDOMAIN for the cluster's own name.
    await startDns('node-3', { 'other.cluster.local': '198.19.0.1' });
    await waitFor(
      'the finding now says nxdomain',
      async () => (await open()).find((f) => f.id === id && f.evidence.some((e) => e.includes('nxdomain'))),
      detectTimeoutMs,
    );
    await holds('only the wrong-answering endpoint', (f) => f.id === id);

    await dnsServers.get('node-3')!.process.stop('SIGTERM');
    await startDns('node-3', dnsRecords);
    await clean('resolved once the endpoint answers right');
  }, 120_000);
});

describe('link error counters', () => {
  it("junk frames on node-2's underlay (rx_dropped climbing, traffic fine) → LinkErrors(node-2) only; stopped → clean", async () => {
    const lab = stack.lab;
    const mac = (await lab.exec(lab.node('node-2').ns, ['cat', '/sys/class/net/eth0/address'])).trim();
    // 50 frames/s for at most 60 s; stopped by its pid as soon as the finding is checked.
    const sender = lab.start(lab.underlayNs, junkFramesArgv(lab.underlayPort('node-2'), mac, 3_000, 50), { name: 'junk-frames-node-2' });
    try {
      await waitForLogLine(sender, 'sending');
      const finding = await waitFor(
        'LinkErrors on node-2',
        async () => (await open()).find((f) => f.id === 'LinkErrors:node-2'),
        detectTimeoutMs,
      );
      expect(finding.nodes).toEqual(['node-2']);
      expect(finding.evidence.join(' ')).toMatch(/underlay eth0: .*rx dropped [1-9]/);
      await holds('only LinkErrors on node-2', (f) => f.id === 'LinkErrors:node-2');
    } finally {
      await sender.stop('SIGTERM');
    }
    await clean('resolved once the frames stop');
  }, 90_000);
});

describe('seed 001: the API server as a target', () => {
  it("node-4's pods cannot reach the API server (a drop rule) → TargetUnreachable naming node-4 only", async () => {
    const node4 = stack.lab.node('node-4');
    await dropToEndpoint(node4.ns, node4.podCidr, apiServer);
    const id = 'TargetUnreachable:node-4:default/kubernetes';
    const finding = await waitFor('TargetUnreachable from node-4', async () => (await open()).find((f) => f.id === id), detectTimeoutMs);
    expect(finding.nodes).toEqual(['node-4']);
    expect(finding.summary).toContain(`${apiServer.ip}:${apiServer.port}`);
    await holds('only the node-4 finding', (f) => f.id === id);
    await clearEndpointDrop(node4.ns);
    await clean('resolved after the drop is removed');
  }, 90_000);

  it('the API server stops → TargetUnreachable naming its endpoint from every node, no node blamed', async () => {
    await apiServerStandIn!.stop('SIGTERM');
    const id = `TargetUnreachable:default/kubernetes:${apiServer.ip}:${apiServer.port}`;
    const finding = await waitFor('the API server endpoint finding', async () => (await open()).find((f) => f.id === id), detectTimeoutMs);
    // 192.0.2.1 is in no node's pod CIDR: the control plane itself, not a node.
    expect(finding.nodes).toEqual([]);
    expect(finding.severity).toBe('critical');
    await holds('only the API server finding', (f) => f.id === id);
    await startApiServerStandIn(stack.lab);
    await clean('resolved once the API server answers');
  }, 90_000);
});

describe('targets fed from the Kubernetes API', () => {
  it('node-1 loses the rules of the labelled Service default/web → ServicePathBroken on node-1 only', async () => {
    const node1 = stack.lab.node('node-1');
    await installServices(
      node1.ns,
      services.filter((s) => s.ip !== '198.19.0.10'),
    );
    const id = 'ServicePathBroken:node-1:default/web';
    const finding = await waitFor('ServicePathBroken on node-1', async () => (await open()).find((f) => f.id === id), detectTimeoutMs);
    expect(finding.nodes).toEqual(['node-1']);
    await holds('only node-1', (f) => f.id === id);
    await installServices(node1.ns, services);
    await clean('resolved once the rules are back');
  }, 90_000);

  it('an endpoint leaves the EndpointSlice → the agents stop probing it; its pod going away opens nothing', async () => {
    const lab = stack.lab;
    const gone = `${podIp(lab, 'node-4')}:8080`;
    const outputBefore = new Map([...stack.podAgents].map(([node, proc]) => [node, proc.output().length]));
    // What the control plane does when the pod is deleted: the slice first, kube-proxy's rules with it.
    double.upsertEndpointSlice(webSlice([podIp(lab, 'node-2')]));
    const shrunk = labServices(lab, ['node-2']);
    await Promise.all(lab.nodes.map((n) => installServices(n.ns, shrunk)));
    services = shrunk;
    // Every pod agent took the new set: 3 + 2 + 2 addresses, the removed endpoint not among them.
    await waitFor(
      'every pod agent probing 7 addresses',
      async () =>
        [...stack.podAgents].every(([node, proc]) =>
          proc
            .output()
            .slice(outputBefore.get(node))
            .split('\n')
            .some((l) => l.includes('"target set received"') && l.includes('"addresses":7')),
        ),
      detectTimeoutMs,
    );
    const { targets } = await stack.getJson<TargetsView>('/api/v1/targets');
    expect(targets.find((t) => t.name === 'default/web')?.endpoints.map((e) => e.address)).toEqual([`${podIp(lab, 'node-2')}:8080`]);
    await servers.get('node-4')!.stop('SIGTERM');
    await holds('no finding about the endpoint that left', () => false, 4);
    expect((await open()).map((f) => f.id).filter((id) => id.includes(gone))).toEqual([]);

    await startWebServer(lab, 'node-4');
    services = labServices(lab);
    await Promise.all(lab.nodes.map((n) => installServices(n.ns, services)));
    double.upsertEndpointSlice(webSlice(webPods.map((n) => podIp(lab, n))));
    await waitFor('the endpoint back in the set and healthy', () => allTargetsHealthy(5), detectTimeoutMs, 500);
  }, 90_000);
});
