// Collector at scale: the real collector process, N simulated nodes (a host and a pod agent
// each, one gRPC stream per agent over loopback) spread over --procs simulator processes
// (bench/sim-agents.ts). Measures, over a steady window after every agent is connected and
// the peer-set pushes have settled: probe results ingested per collector CPU-second (per
// core), detector pass time (netsentry_detector_run_duration_seconds), collector RSS,
// /metrics series and render time; then breaks one node (every probe to and from it fails)
// and times the NodeIsolated finding.
// Usage: node bench/collector-scale.ts --nodes 500 [--report exception|results] [--procs 2] [--window 30] [--sample-size 32] [--cpu-prof] [--collector-heap-mib 384]
//        [--sim-window-mib 64] [--sim-cpu-prof] [--deadline 540] [--ramp 200] [--layout two-agents|via-overlay] [--sim-nice 10]
//        [--collector-node-flags "--max-semi-space-size=2 …"] [--collector-args "--ingest-turn-budget 0"]
// --ramp: agents connected per second, all simulators together (a DaemonSet rollout; 0 = all
// at once). The connect storm (first hello → last welcome → peer sets settled) is timed and its
// cost printed apart; the measurement window starts only after it.
// --sim-nice: the simulators' nice value (default 10): they yield the CPU to the collector.
// --layout: two-agents (a host and a pod agent per node, the default deployment) or via-overlay
// (one host agent per node answering for its pod network: the agent's --pod-network-probes via-overlay).
// --streams-per-channel: agents sharing one HTTP/2 connection (default 1: each simulated agent
// has its own connection, as real agents do; 250 multiplexes them, cheaper for the simulators
// but 250 streams then share one connection's flow-control windows on both sides).
// --sim-window-mib: the HTTP/2 connection flow-control window of each simulator connection
// (default: gRPC's own with one agent per connection, 64 with more). With 250 agents on one
// connection and the
// default 64 KiB window those 250 streams' peer sets (up to ~0.7 MB each at 5,000 nodes)
// stalled behind each other (see BENCHMARKS.md); 0 = gRPC's default.
// Bounded: every wait has a deadline; child processes are stopped by pid on exit and on signals.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, setPriority, totalmem } from 'node:os';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const nodes = arg('nodes', 500);
const procs = arg('procs', 2);
const windowSeconds = arg('window', 30);
const sampleSize = arg('sample-size', 32);
const deadlineMs = arg('deadline', 540) * 1000;
// exception: agents report by exception (issue 15); results: one ProbeResult per probe (before).
const report = process.argv.includes('--report') ? process.argv[process.argv.indexOf('--report') + 1]! : 'exception';
const layout = process.argv.includes('--layout') ? process.argv[process.argv.indexOf('--layout') + 1]! : 'two-agents';
const agentsPerNode = layout === 'via-overlay' ? 1 : 2;
const agentCount = agentsPerNode * nodes;
const ramp = arg('ramp', 200);
const simNice = arg('sim-nice', 10);
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
const node = process.execPath;
const started = Date.now();
const children: ChildProcess[] = [];
let collector: ChildProcess | undefined;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const clockTicks = 100;
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}
function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function cleanup(): void {
  for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGKILL');
  if (collector?.pid && collector.exitCode === null) collector.kill('SIGTERM');
}
process.once('SIGINT', () => (cleanup(), process.exit(130)));
process.once('SIGTERM', () => (cleanup(), process.exit(143)));
const watchdog = setTimeout(() => {
  console.error(`deadline of ${deadlineMs / 1000} s reached; stopping`);
  // SIGTERM first: the simulators exit cleanly (and write their CPU profiles when asked to).
  for (const child of children) if (child.pid && child.exitCode === null) child.kill('SIGTERM');
  if (collector?.pid && collector.exitCode === null) collector.kill('SIGTERM');
  setTimeout(() => {
    cleanup();
    // A collector too busy to handle SIGTERM in 10 s is not left behind.
    if (collector?.pid && collector.exitCode === null) collector.kill('SIGKILL');
    process.exit(3);
  }, 10_000);
}, deadlineMs);
watchdog.unref();

async function startCollector(): Promise<{ grpc: number; http: number }> {
  const prof = process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/collector-prof'] : [];
  const heapFlag = arg('collector-heap-mib', 0);
  const heap = heapFlag > 0 ? [`--max-old-space-size=${heapFlag}`] : [];
  const nodeFlags = process.argv.includes('--collector-node-flags')
    ? process.argv[process.argv.indexOf('--collector-node-flags') + 1]!.split(' ').filter(Boolean)
    : [];
  collector = spawn(
    node,
    [
      ...prof,
      ...heap,
      ...nodeFlags,
      'collector/src/main.ts',
      '--grpc-listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
      // Every simulated agent comes from 127.0.0.1: the per-address cap (default 8) would refuse all but 8 streams.
      '--max-streams-per-peer',
      '0',
      ...(process.argv.includes('--collector-args')
        ? process.argv[process.argv.indexOf('--collector-args') + 1]!.split(' ').filter(Boolean)
        : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('collector did not start')), 20_000);
    collector!.stdout!.on('data', (data: Buffer) => {
      buffer += data.toString();
      for (const line of buffer.split('\n')) {
        if (!line.includes('collector started')) continue;
        const parsed = JSON.parse(line) as { grpcPort: number; httpPort: number };
        clearTimeout(timer);
        buffer = '';
        resolve({ grpc: parsed.grpcPort, http: parsed.httpPort });
        return;
      }
      buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
    });
  });
}

interface SimStats {
  agents: number;
  connected: number;
  welcomed: number;
  batches: number;
  results: number;
  bytes: number;
  errors: number;
  skippedRounds: number;
  heartbeats: number;
  reports: number;
  firstConnectMs: number;
  lastWelcomeMs: number;
  peerSetBytes: number;
  fullSets: number;
  fullSetBytes: number;
  deltas: number;
  deltaBytes: number;
  peerEntries: number;
  deltaMismatches: number;
}
interface SimReply {
  stats: SimStats;
  cpu: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
}
async function simStats(): Promise<{ stats: SimStats; cpu: number; rssMiB: number; storm: { connectS: number } }> {
  const replies = await Promise.all(
    children.map(
      (child) =>
        new Promise<SimReply>((resolve) => {
          const onMessage = (m: SimReply & { type: string }) => {
            if (m.type !== 'stats') return;
            child.off('message', onMessage);
            resolve(m);
          };
          child.on('message', onMessage);
          child.send({ type: 'stats' });
        }),
    ),
  );
  const total: SimStats = {
    agents: 0,
    connected: 0,
    welcomed: 0,
    batches: 0,
    results: 0,
    bytes: 0,
    errors: 0,
    skippedRounds: 0,
    heartbeats: 0,
    reports: 0,
    firstConnectMs: 0,
    lastWelcomeMs: 0,
    peerSetBytes: 0,
    fullSets: 0,
    fullSetBytes: 0,
    deltas: 0,
    deltaBytes: 0,
    peerEntries: 0,
    deltaMismatches: 0,
  };
  let cpu = 0;
  let rss = 0;
  let connectS = 0;
  for (const r of replies) {
    for (const key of Object.keys(total) as (keyof SimStats)[]) total[key] += r.stats[key];
    cpu += (r.cpu.user + r.cpu.system) / 1e6;
    rss += r.memory.rss / 2 ** 20;
    // Each simulator's own clock: first stream opened → last welcome received.
    connectS = Math.max(connectS, (r.stats.lastWelcomeMs - r.stats.firstConnectMs) / 1000);
  }
  return { stats: total, cpu, rssMiB: Math.round(rss), storm: { connectS } };
}

async function scrape(http: number): Promise<{ ms: number; text: string }> {
  const t = performance.now();
  try {
    const text = await (await fetch(`http://127.0.0.1:${http}/metrics`, { signal: AbortSignal.timeout(120_000) })).text();
    return { ms: performance.now() - t, text };
  } catch (err) {
    console.error(`/metrics failed after ${((performance.now() - t) / 1000).toFixed(0)} s: ${String(err)}`);
    return { ms: performance.now() - t, text: '' };
  }
}
const metricValue = (text: string, name: string): number => {
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
};

const mib = (bytes: number): number => Math.round(bytes / 2 ** 20);

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}; load average ${load()} at start`,
  );
  console.log(
    `nodes ${nodes} (${agentCount} agents, layout ${layout}), ${procs} simulator processes, sample size ${sampleSize}, probe interval 5 s, connect ramp ${ramp > 0 ? `${ramp} agents/s` : 'all at once'}, simulators at nice ${simNice}`,
  );
  const ports = await startCollector();
  const pid = collector!.pid!;
  const per = Math.ceil(nodes / procs);
  const collectorCpuAtStart = cpuSeconds(pid);
  for (let p = 0; p < procs; p++) {
    const from = p * per;
    const to = Math.min(nodes, from + per);
    const child = fork(
      'bench/sim-agents.ts',
      [
        '--target',
        `127.0.0.1:${ports.grpc}`,
        '--nodes',
        String(nodes),
        '--from',
        String(from),
        '--to',
        String(to),
        '--sample-size',
        String(sampleSize),
        '--window-mib',
        // One connection per agent (the default): gRPC's default window, as the agent's uplink has.
        String(arg('sim-window-mib', arg('streams-per-channel', 1) > 1 ? 64 : 0)),
        '--streams-per-channel',
        String(arg('streams-per-channel', 1)),
        '--report',
        report,
        '--layout',
        layout,
        '--ramp',
        String(ramp / procs),
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: process.argv.includes('--sim-cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/sim-prof'] : [],
      },
    );
    children.push(child);
    // The simulators stand in for 5,000 other machines: on this one they yield to the collector.
    if (child.pid && simNice !== 0) setPriority(child.pid, simNice);
  }
  const t0 = performance.now();
  const progress = (stats: SimStats): string =>
    `${stats.welcomed} welcomed, peer sets received: ${stats.fullSets} full (${mib(stats.fullSetBytes)} MiB), ${stats.deltas} deltas (${mib(stats.deltaBytes)} MiB), ${stats.deltaMismatches} delta mismatches; collector ${Math.round(rssMiB(pid).rss)} MiB RSS, ${cpuSeconds(pid).toFixed(0)} CPU-s`;
  for (let tick = 1; ; tick++) {
    await sleep(1000);
    // Progress from the simulators (a welcome per stream): scraping a busy collector every second would slow it down.
    const { stats } = await simStats();
    if (stats.welcomed >= agentCount) break;
    if (tick % 10 === 0) console.log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${progress(stats)}`);
    if (performance.now() - t0 > 240_000 + (ramp > 0 ? (agentCount / ramp) * 1000 : 0))
      throw new Error(`only ${stats.welcomed} of ${agentCount} agents welcomed after ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  const connected = await simStats();
  console.log(`all ${agentCount} agents welcomed ${connected.storm.connectS.toFixed(1)} s after the first hello`);
  // Let the peer-set pushes of the connect storm finish: every agent holds a full set and
  // bytes stopped growing (bounded: a collector that cannot get there is reported, not awaited).
  let last = -1;
  for (let i = 0; i < 120; i++) {
    await sleep(2000);
    const { stats } = await simStats();
    if (stats.peerSetBytes === last && stats.fullSets >= agentCount) break;
    last = stats.peerSetBytes;
  }
  const settled = await simStats();
  const stormSeconds = (performance.now() - t0) / 1000;
  const sentMetric = (await scrape(ports.http)).text;
  const storm = {
    connectSeconds: Number(connected.storm.connectS.toFixed(1)),
    settledSeconds: Number(stormSeconds.toFixed(1)),
    collectorCpuSeconds: Number((cpuSeconds(pid) - collectorCpuAtStart).toFixed(1)),
    simulatorCpuSeconds: Number(settled.cpu.toFixed(1)),
    collectorPeakRssMiB: Math.round(rssMiB(pid).hwm),
    peerSetMiBSent: {
      full: mib(metricValue(sentMetric, 'netsentry_peer_set_bytes_total{kind="full"}')),
      delta: mib(metricValue(sentMetric, 'netsentry_peer_set_bytes_total{kind="delta"}')),
    },
    peerSetsReceived: { full: settled.stats.fullSets, deltas: settled.stats.deltas, entries: settled.stats.peerEntries },
    deltaMismatches: settled.stats.deltaMismatches,
    // Streams still without their first full set when the window starts (0 when the storm settled).
    agentsWithoutFullSet: Math.max(0, agentCount - settled.stats.fullSets),
    streamErrors: settled.stats.errors,
  };
  console.log(`connect storm: ${JSON.stringify(storm)}; ${progress(settled.stats)}`);
  await sleep(10_000); // two probe intervals of steady state before measuring

  // Each quantity over its own interval: a scrape of a busy collector can take seconds, and
  // the simulators' counts would otherwise be divided by a window that leaves those seconds out.
  const loadAtWindow = load();
  const cpuBefore = cpuSeconds(pid);
  const wallBefore = performance.now();
  const simBeforeAt = performance.now();
  const before = await simStats();
  const scrapeBefore = (await scrape(ports.http)).text;
  const scrapeBeforeAt = performance.now();
  const renders: number[] = [];
  const lags: number[] = [];
  let series = 0;
  let scrapeAfter = scrapeBefore;
  let scrapeAfterAt = scrapeBeforeAt;
  while (performance.now() - wallBefore < windowSeconds * 1000) {
    await sleep(5000);
    const s = await scrape(ports.http);
    renders.push(s.ms);
    series = s.text.split('\n').filter((l) => l && !l.startsWith('#')).length;
    lags.push(metricValue(s.text, 'netsentry_ingest_lag_seconds'));
    scrapeAfter = s.text;
    scrapeAfterAt = performance.now();
  }
  const cpuAfter = cpuSeconds(pid);
  const wall = (performance.now() - wallBefore) / 1000;
  const simAfterAt = performance.now();
  const after = await simStats();
  const simSeconds = (simAfterAt - simBeforeAt) / 1000;
  const scrapeSeconds = (scrapeAfterAt - scrapeBeforeAt) / 1000;
  const mem = rssMiB(pid);
  const results = after.stats.results - before.stats.results;
  const batchesSent = after.stats.batches - before.stats.batches;
  const received = (text: string, type: string): number => metricValue(text, `netsentry_messages_received_total{type="${type}"}`);
  const batchesIngested = received(scrapeAfter, 'probeBatch') - received(scrapeBefore, 'probeBatch');
  const heartbeatsSent = after.stats.heartbeats - before.stats.heartbeats;
  const heartbeatsIngested = received(scrapeAfter, 'heartbeat') - received(scrapeBefore, 'heartbeat');
  const collectorCpu = cpuAfter - cpuBefore;
  const passes =
    metricValue(scrapeAfter, 'netsentry_detector_run_duration_seconds_count') -
    metricValue(scrapeBefore, 'netsentry_detector_run_duration_seconds_count');
  const passSeconds =
    metricValue(scrapeAfter, 'netsentry_detector_run_duration_seconds_sum') -
    metricValue(scrapeBefore, 'netsentry_detector_run_duration_seconds_sum');
  const seriesNode = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#') && /node="/.test(l)).length;
  renders.sort((a, b) => a - b);
  const steadyState = {
    windowSeconds: Number(wall.toFixed(1)),
    resultsSentPerSecond: Math.round(results / simSeconds),
    // Per second, each over its own interval (simulators' counters, the collector's scrapes).
    batchesSentPerSecond: Math.round(batchesSent / simSeconds),
    batchesIngestedPerSecond: Math.round(batchesIngested / scrapeSeconds),
    heartbeatsSentPerSecond: Math.round(heartbeatsSent / simSeconds),
    heartbeatsIngestedPerSecond: Math.round(heartbeatsIngested / scrapeSeconds),
    roundsSkippedCollectorBehind: after.stats.skippedRounds - before.stats.skippedRounds,
    collectorCpuCores: Number((collectorCpu / wall).toFixed(2)),
    // The collector may fall behind (gRPC buffers the rest): count what it ingested.
    resultsIngestedPerCollectorCpuSecond: Math.round(
      ((results / Math.max(1, batchesSent)) * (batchesIngested / scrapeSeconds) * wall) / collectorCpu,
    ),
    ingestLagSecondsMax: Number(Math.max(0, ...lags).toFixed(1)),
    detectorPasses: passes,
    detectorPassMeanMs: passes ? Number(((passSeconds / passes) * 1000).toFixed(1)) : null,
    collectorRssMiB: Math.round(mem.rss),
    collectorPeakRssMiB: Math.round(mem.hwm),
    collectorHeapUsedMiB: mib(metricValue(scrapeAfter, 'nodejs_heap_size_used_bytes')),
    collectorHeapTotalMiB: mib(metricValue(scrapeAfter, 'nodejs_heap_size_total_bytes')),
    collectorExternalMiB: mib(metricValue(scrapeAfter, 'nodejs_external_memory_bytes')),
    metricsSeries: series,
    seriesWithNodeLabel: seriesNode(scrapeAfter),
    metricsRenderMs: { p50: Math.round(renders[Math.floor(renders.length / 2)] ?? 0), max: Math.round(renders.at(-1) ?? 0) },
    simulatorCpuCores: Number(((after.cpu - before.cpu) / simSeconds).toFixed(2)),
    simulatorRssMiB: after.rssMiB,
    probeBatchBytesPerAgentPerMinute: Math.round(((after.stats.bytes - before.stats.bytes) / agentCount) * (60 / simSeconds)),
    loadAverage: `${loadAtWindow} → ${load()}`,
  };
  console.log(`steady state: ${JSON.stringify(steadyState)}`);

  // Zero false findings: nothing is broken yet, so every open finding is false.
  let lastFindings: { id: string; summary: string; evidence: string[] }[] = [];
  const openFindings = async (): Promise<string[]> => {
    lastFindings = (
      (await fetch(`http://127.0.0.1:${ports.http}/api/v1/findings`, { signal: AbortSignal.timeout(60_000) }).then(
        (r) => r.json(),
        () => ({ findings: [] }),
      )) as { findings: { id: string; summary: string; evidence: string[] }[] }
    ).findings;
    return lastFindings.map((f) => f.id);
  };
  const byKind = (ids: string[]): Record<string, number> => {
    const kinds: Record<string, number> = {};
    for (const id of ids) kinds[id.split(':')[0]!] = (kinds[id.split(':')[0]!] ?? 0) + 1;
    return kinds;
  };
  const falseBefore = await openFindings();
  console.log(
    JSON.stringify({ falseFindingsBeforeBreak: falseBefore.length, byKind: byKind(falseBefore), sample: falseBefore.slice(0, 5) }),
  );
  // One broken node: every probe to and from it fails from now on.
  const victim = Math.floor(nodes / 3);
  const name = `sim-${String(victim).padStart(5, '0')}`;
  for (const child of children) child.send({ type: 'break', node: victim });
  const breakAt = performance.now();
  let found: { ms: number; ids: string[] } | undefined;
  while (performance.now() - breakAt < 90_000) {
    await sleep(250);
    const ids = await openFindings();
    if (ids.includes(`NodeIsolated:${name}`)) {
      found = { ms: performance.now() - breakAt, ids };
      break;
    }
  }
  // Named alone: every open finding is about the broken node (its id names it).
  const others = found?.ids.filter((id) => !id.includes(name)) ?? [];
  const brokenNode = {
    brokenNode: name,
    findingAfterSeconds: found ? Number((found.ms / 1000).toFixed(1)) : null,
    findingAfterIntervals: found ? Number((found.ms / 5000).toFixed(1)) : null,
    otherOpenFindings: others.length,
    otherByKind: byKind(others),
    openFindings: found?.ids.slice(0, 5),
  };
  console.log(JSON.stringify(brokenNode));
  // One row: everything the issue asks for, in one line the lead can paste.
  const share = (a: number, b: number): string => `${b ? ((100 * a) / b).toFixed(1) : '—'} %`;
  console.log(
    `| ${nodes} | ${layout} | ${storm.connectSeconds} s connect, ${storm.settledSeconds} s settled; ${storm.collectorCpuSeconds} collector CPU-s, ${storm.peerSetMiBSent.full + storm.peerSetMiBSent.delta} MiB peer sets, peak RSS ${storm.collectorPeakRssMiB} MiB | ` +
      `${share(steadyState.batchesIngestedPerSecond, steadyState.batchesSentPerSecond)} batches, ${share(steadyState.heartbeatsIngestedPerSecond, steadyState.heartbeatsSentPerSecond)} heartbeats | ${steadyState.collectorCpuCores} core | ` +
      `${steadyState.collectorRssMiB} MiB (heap ${steadyState.collectorHeapUsedMiB} / ${steadyState.collectorHeapTotalMiB}, external ${steadyState.collectorExternalMiB}) | ` +
      `${steadyState.detectorPassMeanMs} ms | ${steadyState.metricsRenderMs.p50} ms (max ${steadyState.metricsRenderMs.max}) | ` +
      `${found ? `${brokenNode.findingAfterSeconds} s (${brokenNode.findingAfterIntervals} intervals), ${others.length === 0 ? 'alone' : `${others.length} others`}` : 'not within 90 s'} | ` +
      `${falseBefore.length} | ${steadyState.ingestLagSecondsMax} s | ${steadyState.simulatorCpuCores} core, ${steadyState.simulatorRssMiB} MiB | ${steadyState.probeBatchBytesPerAgentPerMinute} | ${steadyState.loadAverage} |`,
  );
  console.log(
    '  (columns: nodes | layout | connect storm | ingested / sent in the window | collector CPU | collector RSS (V8 heap used / total, external) | detector pass mean | /metrics render p50 | broken node → NodeIsolated | false findings before the break | ingest lag max | simulators CPU, RSS | probe-batch bytes per agent per minute | load average over the window)',
  );
  console.log(`total bench time ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main()
  .catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const child of children) if (child.connected) child.send({ type: 'stop' });
    await sleep(1000);
    cleanup();
    // The collector exits on SIGTERM (and writes its CPU profile when asked to).
    for (let i = 0; i < 100 && collector?.exitCode === null; i++) await sleep(100);
    if (collector?.pid && collector.exitCode === null) collector.kill('SIGKILL');
    process.exit();
  });
