// Collector at scale: the real collector process, N simulated nodes (a host and a pod agent
// each, one gRPC stream per agent over loopback) spread over --procs simulator processes
// (bench/sim-agents.ts). Measures, over a steady window after every agent is connected and
// the peer-set pushes have settled: probe results ingested per collector CPU-second (per
// core), detector pass time (netsentry_detector_run_duration_seconds), collector RSS,
// /metrics series and render time; then breaks one node (every probe to and from it fails)
// and times the NodeIsolated finding.
// Usage: node bench/collector-scale.ts --nodes 500 [--report exception|results] [--procs 2] [--window 30] [--sample-size 32] [--cpu-prof] [--collector-heap-mib 384]
//        [--sim-window-mib 64] [--sim-cpu-prof] [--deadline 540]
// --sim-window-mib: the HTTP/2 connection flow-control window of each simulator connection. A
// simulator multiplexes 250 agents on one connection (a real agent has its own); with the
// default 64 KiB window those 250 streams' peer sets (up to ~0.7 MB each at 5,000 nodes)
// stalled behind each other (see BENCHMARKS.md); 0 = gRPC's default.
// Bounded: every wait has a deadline; child processes are stopped by pid on exit and on signals.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';

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
  setTimeout(() => {
    cleanup();
    process.exit(3);
  }, 3000);
}, deadlineMs);
watchdog.unref();

async function startCollector(): Promise<{ grpc: number; http: number }> {
  const prof = process.argv.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/collector-prof'] : [];
  const heapFlag = arg('collector-heap-mib', 0);
  const heap = heapFlag > 0 ? [`--max-old-space-size=${heapFlag}`] : [];
  collector = spawn(
    node,
    [
      ...prof,
      ...heap,
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
  peerSetBytes: number;
  fullSets: number;
  fullSetBytes: number;
  deltas: number;
  deltaBytes: number;
  peerEntries: number;
  deltaMismatches: number;
}
async function simStats(): Promise<{ stats: SimStats; cpu: number }> {
  const replies = await Promise.all(
    children.map(
      (child) =>
        new Promise<{ stats: SimStats; cpu: { user: number; system: number } }>((resolve) => {
          const onMessage = (m: { type: string; stats: SimStats; cpu: { user: number; system: number } }) => {
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
    peerSetBytes: 0,
    fullSets: 0,
    fullSetBytes: 0,
    deltas: 0,
    deltaBytes: 0,
    peerEntries: 0,
    deltaMismatches: 0,
  };
  let cpu = 0;
  for (const r of replies) {
    for (const key of Object.keys(total) as (keyof SimStats)[]) total[key] += r.stats[key];
    cpu += (r.cpu.user + r.cpu.system) / 1e6;
  }
  return { stats: total, cpu };
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

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`,
  );
  console.log(
    `nodes ${nodes} (${2 * nodes} agents: host + pod), ${procs} simulator processes, sample size ${sampleSize}, probe interval 5 s`,
  );
  const ports = await startCollector();
  const pid = collector!.pid!;
  const per = Math.ceil(nodes / procs);
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
        String(arg('sim-window-mib', 64)),
        '--streams-per-channel',
        String(arg('streams-per-channel', 250)),
        '--report',
        report,
      ],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: process.argv.includes('--sim-cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir', '/tmp/sim-prof'] : [],
      },
    );
    children.push(child);
  }
  const t0 = performance.now();
  const progress = (stats: SimStats): string =>
    `${stats.welcomed} welcomed, peer sets received: ${stats.fullSets} full (${(stats.fullSetBytes / 2 ** 20).toFixed(0)} MiB), ${stats.deltas} deltas (${(stats.deltaBytes / 2 ** 20).toFixed(0)} MiB), ${stats.deltaMismatches} delta mismatches; collector ${Math.round(rssMiB(pid).rss)} MiB RSS, ${cpuSeconds(pid).toFixed(0)} CPU-s`;
  for (let tick = 1; ; tick++) {
    await sleep(1000);
    // Progress from the simulators (a welcome per stream): scraping a busy collector every second would slow it down.
    const { stats } = await simStats();
    if (stats.welcomed >= 2 * nodes) break;
    if (tick % 10 === 0) console.log(`  ${((performance.now() - t0) / 1000).toFixed(0)} s: ${progress(stats)}`);
    if (performance.now() - t0 > 240_000) throw new Error(`only ${stats.welcomed} of ${2 * nodes} agents welcomed after 240 s`);
  }
  console.log(`all ${2 * nodes} agents connected in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  // Let the peer-set pushes of the connect storm finish: wait until bytes stop growing.
  let last = -1;
  for (let i = 0; i < 120; i++) {
    await sleep(2000);
    const { stats } = await simStats();
    if (stats.peerSetBytes === last) break;
    last = stats.peerSetBytes;
  }
  const settled = await simStats();
  console.log(
    `peer sets settled after ${((performance.now() - t0) / 1000).toFixed(1)} s; ${(last / 2 ** 20).toFixed(0)} MiB of peer sets received in total: ${progress(settled.stats)}, collector peak ${Math.round(rssMiB(pid).hwm)} MiB`,
  );
  const sentMetric = (await scrape(ports.http)).text;
  console.log(
    JSON.stringify({
      peerSetBytesSentMiB: {
        full: Math.round(metricValue(sentMetric, 'netsentry_peer_set_bytes_total{kind="full"}') / 2 ** 20),
        delta: Math.round(metricValue(sentMetric, 'netsentry_peer_set_bytes_total{kind="delta"}') / 2 ** 20),
      },
      peerSetsReceived: {
        full: settled.stats.fullSets,
        deltas: settled.stats.deltas,
        entries: settled.stats.peerEntries,
        deltaMismatches: settled.stats.deltaMismatches,
      },
    }),
  );
  await sleep(10_000); // two probe intervals of steady state before measuring

  const before = await simStats();
  const scrapeBefore = (await scrape(ports.http)).text;
  const cpuBefore = cpuSeconds(pid);
  const wallBefore = performance.now();
  const renders: number[] = [];
  let series = 0;
  while (performance.now() - wallBefore < windowSeconds * 1000) {
    await sleep(5000);
    const s = await scrape(ports.http);
    renders.push(s.ms);
    series = s.text.split('\n').filter((l) => l && !l.startsWith('#')).length;
  }
  const cpuAfter = cpuSeconds(pid);
  const wall = (performance.now() - wallBefore) / 1000;
  const after = await simStats();
  const scrapeAfter = (await scrape(ports.http)).text;
  const mem = rssMiB(pid);
  const results = after.stats.results - before.stats.results;
  const batchesSent = after.stats.batches - before.stats.batches;
  const batchesIngested =
    metricValue(scrapeAfter, 'netsentry_messages_received_total{type="probeBatch"}') -
    metricValue(scrapeBefore, 'netsentry_messages_received_total{type="probeBatch"}');
  const collectorCpu = cpuAfter - cpuBefore;
  const passes =
    metricValue(scrapeAfter, 'netsentry_detector_run_duration_seconds_count') -
    metricValue(scrapeBefore, 'netsentry_detector_run_duration_seconds_count');
  const passSeconds =
    metricValue(scrapeAfter, 'netsentry_detector_run_duration_seconds_sum') -
    metricValue(scrapeBefore, 'netsentry_detector_run_duration_seconds_sum');
  const seriesNode = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#') && /node="/.test(l)).length;
  console.log(
    JSON.stringify({
      nodes,
      agents: 2 * nodes,
      windowSeconds: Number(wall.toFixed(1)),
      resultsSentPerSecond: Math.round(results / wall),
      batchesSent,
      batchesIngested,
      roundsSkippedCollectorBehind: after.stats.skippedRounds - before.stats.skippedRounds,
      collectorCpuCores: Number((collectorCpu / wall).toFixed(2)),
      // The collector may fall behind (gRPC buffers the rest): count what it ingested.
      resultsIngestedPerSecond: Math.round(((results / Math.max(1, batchesSent)) * batchesIngested) / wall),
      resultsIngestedPerCollectorCpuSecond: Math.round(((results / Math.max(1, batchesSent)) * batchesIngested) / collectorCpu),
      detectorPasses: passes,
      detectorPassMeanMs: passes ? Number(((passSeconds / passes) * 1000).toFixed(1)) : null,
      collectorRssMiB: Math.round(mem.rss),
      collectorPeakRssMiB: Math.round(mem.hwm),
      collectorHeapUsedMiB: Math.round(metricValue(scrapeAfter, 'nodejs_heap_size_used_bytes') / 2 ** 20),
      metricsSeries: series,
      metricsSeriesPerNode: Number((series / nodes).toFixed(1)),
      seriesWithNodeLabel: seriesNode(scrapeAfter),
      metricsRenderMs: {
        p50: Math.round(renders.sort((a, b) => a - b)[Math.floor(renders.length / 2)] ?? 0),
        max: Math.round(renders.at(-1) ?? 0),
      },
      simulatorCpuCores: Number(((after.cpu - before.cpu) / wall).toFixed(2)),
      report,
      probeBatchBytesPerAgentPerMinute: Math.round(((after.stats.bytes - before.stats.bytes) / (2 * nodes)) * (60 / wall)),
    }),
  );

  // Zero false findings: nothing is broken yet, so every open finding is false.
  const steady = (await fetch(`http://127.0.0.1:${ports.http}/api/v1/findings`, { signal: AbortSignal.timeout(60_000) }).then(
    (r) => r.json(),
    () => ({ findings: [] }),
  )) as { findings: { id: string }[] };
  console.log(JSON.stringify({ falseFindingsBeforeBreak: steady.findings.length, sample: steady.findings.slice(0, 5).map((f) => f.id) }));
  // One broken node: every probe to and from it fails from now on.
  const victim = Math.floor(nodes / 3);
  const name = `sim-${String(victim).padStart(5, '0')}`;
  for (const child of children) child.send({ type: 'break', node: victim });
  const breakAt = performance.now();
  let found: { ms: number; ids: string[] } | undefined;
  while (performance.now() - breakAt < 90_000) {
    await sleep(250);
    const body = (await fetch(`http://127.0.0.1:${ports.http}/api/v1/findings`, { signal: AbortSignal.timeout(60_000) }).then(
      (r) => r.json(),
      () => ({ findings: [] }),
    )) as { findings: { id: string }[] };
    const ids = body.findings.map((f) => f.id);
    if (ids.includes(`NodeIsolated:${name}`)) {
      found = { ms: performance.now() - breakAt, ids };
      break;
    }
  }
  // Named alone: every open finding is about the broken node (its id names it).
  const others = found?.ids.filter((id) => !id.includes(name)) ?? [];
  console.log(
    JSON.stringify({
      brokenNode: name,
      findingAfterSeconds: found ? Number((found.ms / 1000).toFixed(1)) : 'not within 90 s',
      findingAfterIntervals: found ? Number((found.ms / 5000).toFixed(1)) : null,
      otherOpenFindings: others.length,
      openFindings: found?.ids.slice(0, 10),
      collectorRssMiB: Math.round(rssMiB(pid).rss),
      collectorPeakRssMiB: Math.round(rssMiB(pid).hwm),
    }),
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
