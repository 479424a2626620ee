// CPU of one probe round in-process, for A/B comparisons of the prober that a whole-agent
// run on a shared machine cannot resolve: 200 targets (the agent's responders in a child
// process on 127.0.0.1, as bench/agent-peers.ts's 100 peers × 2 networks), the real
// runProbeRound (3 small + 2 large UDP, 1 TCP per target; concurrency 32, 1 s timeout,
// 50 ms spacing), --rounds rounds after one warm-up; prints this process's CPU per round.
// The responders' CPU is not counted; the kernel's loopback delivery of each probe is.
// Also prints the small UDP probes' RTT p50 (responders in another process, as in the lab).
// Usage: node bench/probe-round-cpu.ts [--tree DIR] [--rounds 6]   (DIR: a checkout to compare)
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serveLocalResponders } from './local-responders.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const tree = arg('tree') ?? fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(arg('rounds') ?? 6);

if (process.argv.includes('--responders')) {
  await serveLocalResponders(tree);
} else {
  const child = fork(process.argv[1]!, ['--tree', tree, '--responders']);
  try {
    const ports = await new Promise<number[]>((resolve) => child.once('message', (m) => resolve(m as number[])));
    const { runProbeRound } = await import(`${tree}/agent/src/probe/probe-round.ts`);
    const peers = ports.map((port, i) => ({ nodeName: `peer-${i}`, network: 1, address: '127.0.0.1', port, mtu: 1500 }));
    const request = { identity: { nodeName: 'node-1', network: 1 }, peers, timeoutMs: 1000, concurrency: 32, spacingMs: 50 };
    await runProbeRound(request, new AbortController().signal);
    const cpu0 = process.cpuUsage();
    let ok = 0;
    let total = 0;
    const rtts: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const results: { ok: boolean; protocol: number; large: boolean; rttSeconds: number }[] = await runProbeRound(
        request,
        new AbortController().signal,
      );
      total += results.length;
      ok += results.filter((r) => r.ok).length;
      for (const r of results) if (r.ok && r.protocol === 1 && !r.large) rtts.push(r.rttSeconds * 1e6);
    }
    const cpu = process.cpuUsage(cpu0);
    rtts.sort((a, b) => a - b);
    console.log(
      `${tree}: ${((cpu.user + cpu.system) / 1000 / rounds).toFixed(1)} ms CPU per round (user ${(cpu.user / 1000 / rounds).toFixed(1)}, system ${(cpu.system / 1000 / rounds).toFixed(1)}), ${ok}/${total} results ok; small UDP RTT p50 ${rtts[Math.floor(rtts.length / 2)]?.toFixed(0) ?? '-'} µs over ${rtts.length} probes`,
    );
  } finally {
    child.kill();
  }
}
