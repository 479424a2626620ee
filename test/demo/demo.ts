// The lab demo: a real 4-node flannel VXLAN overlay in network namespaces, the real collector
// and host agents, then seed 002 — node-2 loses its overlay routes — and netsentry names it.
// Run as root: bash scripts/demo.sh   (Ctrl-C at any point tears everything down)
import { createInterface } from 'node:readline/promises';
import { installSignalTeardown } from '../lab/lab.ts';
import { metricValue, startStack, waitFor, type Finding, type Stack } from '../harness/stack.ts';

const tty = process.stdout.isTTY;
const bold = (s: string) => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const red = (s: string) => (tty ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s: string) => (tty ? `\x1b[32m${s}\x1b[0m` : s);
const step = (s: string) => console.log(`\n${bold(`▶ ${s}`)}`);

interface NodeView {
  name: string;
  hostAgent?: {
    connected: boolean;
    addresses: string[];
    podCidrs: string[];
    overlay?: { name: string; vtepMac: string; mtu: number };
    overlayCheck?: { peersChecked: number; peersOk: number };
  };
}

async function showNodes(stack: Stack): Promise<void> {
  const { nodes } = await stack.getJson<{ nodes: NodeView[] }>('/api/v1/nodes');
  console.log('  NODE     AGENT      UNDERLAY IP   POD CIDR         OVERLAY     VTEP MAC            CHECK');
  for (const node of nodes) {
    const a = node.hostAgent;
    const check = a?.overlayCheck ? `${a.overlayCheck.peersOk}/${a.overlayCheck.peersChecked} peers ok` : '-';
    const checkText = a?.overlayCheck && a.overlayCheck.peersOk < a.overlayCheck.peersChecked ? red(check) : green(check);
    console.log(
      `  ${node.name.padEnd(8)} ${(a?.connected ? 'connected' : 'missing').padEnd(10)} ${(a?.addresses[0] ?? '').padEnd(13)} ${(a?.podCidrs[0] ?? '').padEnd(16)} ${(a?.overlay?.name ?? '').padEnd(11)} ${(a?.overlay?.vtepMac ?? '').padEnd(19)} ${checkText}`,
    );
  }
}

function showFinding(finding: Finding): void {
  console.log(`  ${red(`[${finding.severity}] ${finding.kind}`)}  nodes=${finding.nodes.join(',')}  since=${finding.since}`);
  console.log(`  ${bold(finding.summary)}`);
  console.log('  evidence:');
  for (const line of finding.evidence) console.log(`    - ${line}`);
  console.log('  what to do:');
  for (const line of finding.remediation) console.log(`    - ${line}`);
}

async function main(): Promise<void> {
  step('Building a 4-node lab: network namespaces on a shared underlay (192.0.2.0/24), flannel.1 VXLAN, cni0 and a pod per node');
  const stack = await startStack({ nodes: 4, logger: { info: () => undefined } });
  const uninstall = installSignalTeardown(stack.lab);
  try {
    for (const node of stack.lab.nodes)
      console.log(`  ${node.name}: netns ${node.ns}, underlay ${node.underlayIp}, pod CIDR ${node.podCidr}, VTEP MAC ${node.vtepMac}`);
    console.log(`  collector: gRPC ${stack.grpcTarget}, HTTP ${stack.httpUrl}; one host agent per node as uid 65534, no capabilities`);

    step('Healthy state: every node verifies route + neighbor + FDB to each peer');
    await waitFor(
      'all agents reporting',
      async () => {
        const { nodes } = await stack.getJson<{ nodes: NodeView[] }>('/api/v1/nodes');
        return nodes.length === 4 && nodes.every((n) => n.hostAgent?.overlayCheck?.peersChecked === 3);
      },
      20_000,
    );
    await showNodes(stack);
    console.log(`  open findings: ${(await stack.findings()).length}`);

    step("Seed 002: node-2's flannel daemon crashed and its VXLAN routes to peers are gone");
    const node2 = stack.lab.node('node-2');
    console.log(`  $ ip netns exec ${node2.ns} ip route del <peer pod CIDR> dev flannel.1   (for each of 3 peers)`);
    const started = performance.now();
    await stack.lab.deleteOverlayRoutes('node-2');
    const finding = await waitFor('the finding', async () =>
      (await stack.findings()).find((f) => f.kind === 'OverlayRouteMissing' && f.evidence.length >= 3),
    );
    console.log(`  finding opened ${(performance.now() - started).toFixed(0)} ms after the routes were deleted:\n`);
    showFinding(finding);
    await showNodes(stack);
    const metrics = await stack.metrics();
    console.log(
      `\n  netsentry_overlay_routes_missing{node="node-2"} ${metricValue(metrics, 'netsentry_overlay_routes_missing', { node: 'node-2' })}`,
    );

    step('Where to look');
    console.log(`  curl -s ${stack.httpUrl}/api/v1/findings`);
    console.log(`  curl -s ${stack.httpUrl}/api/v1/nodes`);
    console.log(`  curl -s ${stack.httpUrl}/metrics | grep ^netsentry_`);
    console.log(`  ${stack.httpUrl}/   (the page)`);
    console.log(`  sudo ip netns exec ${node2.ns} ip route show dev flannel.1`);

    if (tty && process.stdin.isTTY) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      await rl.question(`\n${bold('Press Enter to repair node-2 (Ctrl-C tears the lab down)…')}`);
      rl.close();
    }
    step("Repair: re-program node-2's routes, as restarting its flannel pod would");
    const repairStarted = performance.now();
    await stack.lab.restoreOverlay('node-2');
    await waitFor('resolution', async () => (await stack.findings()).length === 0);
    console.log(`  finding resolved ${(performance.now() - repairStarted).toFixed(0)} ms after the repair`);
    await showNodes(stack);

    if (tty && process.stdin.isTTY) {
      console.log(`\n${bold('The lab stays up for exploring. Ctrl-C tears it down.')}`);
      await new Promise(() => undefined);
    }
  } finally {
    uninstall();
    step('Tearing down the lab');
    await stack.teardown();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${String((err as Error)?.stack ?? err)}`);
  process.exitCode = 1;
});
