// Outages and restarts end to end in a 4-node lab: the collector killed with -9 and
// restarted on the same ports while node-2 is broken, and every agent cut off the
// collector's gRPC port with nft for a while (NETSENTRY_CUT_SECONDS, default 20; the 60 s
// version is bench/collector-cut.ts). State is soft: it must all come back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cutFor, mib } from '../harness/outages.ts';
import { metricValue, startStack, waitFor, type Finding, type Stack } from '../harness/stack.ts';

const reportIntervalSeconds = 30; // the collector's default --report-interval
const agentMissingAfterSeconds = 5;
const cutSeconds = Number(process.env.NETSENTRY_CUT_SECONDS ?? 20);
// The agents' memory bound while cut off: their baseline (~150 MiB here: Node 24, a probe
// worker thread) grows by at most this much, and never passes the absolute bound.
const memoryGrowthBoundBytes = 48 * 1024 * 1024;
const memoryBoundBytes = 256 * 1024 * 1024;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ nodes: 4, collectorArgs: ['--agent-missing-after', `${agentMissingAfterSeconds}s`] });
}, 200_000); // the lab lock may be held by another run for a while

afterAll(async () => {
  await stack?.teardown();
});

interface NodesView {
  nodes: { name: string; hostAgent?: { connected: boolean; lastSeen: string; overlayCheck?: { peersChecked: number } } }[];
}

const allConnected = async (since = 0): Promise<boolean> => {
  const { nodes } = await stack.getJson<NodesView>('/api/v1/nodes');
  return (
    nodes.length === 4 &&
    nodes.every((n) => n.hostAgent?.connected && n.hostAgent.overlayCheck?.peersChecked === 3 && Date.parse(n.hostAgent.lastSeen) > since)
  );
};
const summary = (findings: Finding[]) => findings.map((f) => `${f.kind}(${f.nodes.join(',')})`).sort();

describe('outages and restarts in a 4-node lab', () => {
  it('converges to zero findings', async () => {
    await waitFor('all 4 host agents reporting', () => allConnected(), 30_000);
    await waitFor('zero findings', async () => (await stack.findings()).length === 0, 20_000);
  }, 60_000);

  it('kill -9 of the collector with node-2 broken: OverlayRouteMissing(node-2) is back within one report interval, and no AgentMissing', async () => {
    await stack.lab.deleteOverlayRoutes('node-2');
    await waitFor('OverlayRouteMissing(node-2)', async () => summary(await stack.findings()).join() === 'OverlayRouteMissing(node-2)');

    const { stoppedAtMs, startedAtMs } = await stack.restartCollector('SIGKILL');
    const seen = new Set<string>();
    const back = await waitFor(
      'OverlayRouteMissing(node-2) after the restart',
      async () => {
        const findings = await stack.findings();
        for (const s of summary(findings)) seen.add(s);
        return findings.some((f) => f.kind === 'OverlayRouteMissing' && f.nodes.join() === 'node-2') ? Date.now() : undefined;
      },
      reportIntervalSeconds * 1000,
      50,
    );
    console.log(
      `collector restart: finding back ${((back - startedAtMs) / 1000).toFixed(2)} s after the new collector listened, ${((back - stoppedAtMs) / 1000).toFixed(2)} s after the kill`,
    );
    expect(back - startedAtMs).toBeLessThan(reportIntervalSeconds * 1000);

    // Watch past --agent-missing-after (and then some): nothing else appears, no AgentMissing storm.
    const watchUntil = Date.now() + (agentMissingAfterSeconds + 10) * 1000;
    while (Date.now() < watchUntil) {
      for (const s of summary(await stack.findings())) seen.add(s);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect([...seen]).toEqual(['OverlayRouteMissing(node-2)']);
    await waitFor('all agents back', () => allConnected(startedAtMs), 30_000);
    expect(metricValue(await stack.metrics(), 'netsentry_agents_connected', { network: 'host' })).toBe(4);

    await stack.lab.restoreOverlay('node-2');
    await waitFor('zero findings after the repair', async () => (await stack.findings()).length === 0, 20_000);
  }, 120_000);

  it(`a ${cutSeconds} s nft cut between agents and collector: agents stay within their memory bound, and all state is back after it`, async () => {
    const { memory } = await cutFor(stack, cutSeconds);
    const cutEndedMs = Date.now();
    for (const [node, { before, max }] of Object.entries(memory)) {
      console.log(`cut ${cutSeconds} s: ${node} agent VmRSS before ${mib(before)} MiB, max during the cut ${mib(max)} MiB`);
      expect(max - before, `${node} memory growth`).toBeLessThan(memoryGrowthBoundBytes);
      expect(max, `${node} memory`).toBeLessThan(memoryBoundBytes);
    }
    const recovered = await waitFor(
      'every agent connected and heard from after the cut',
      () => allConnected(cutEndedMs).then((ok) => ok && Date.now()),
      90_000,
      250,
    );
    await waitFor('zero findings after the cut', async () => (await stack.findings()).length === 0, 60_000);
    console.log(
      `cut ${cutSeconds} s: all agents back ${((recovered - cutEndedMs) / 1000).toFixed(1)} s after the cut ended, findings clear ${((Date.now() - cutEndedMs) / 1000).toFixed(1)} s after`,
    );
    // And the next real fault is still found.
    await stack.lab.deleteOverlayRoutes('node-3');
    await waitFor('OverlayRouteMissing(node-3)', async () => summary(await stack.findings()).join() === 'OverlayRouteMissing(node-3)');
    await stack.lab.restoreOverlay('node-3');
    await waitFor('zero findings after the repair', async () => (await stack.findings()).length === 0, 20_000);
  }, 240_000);
});
