// The precision harness: applies one lab fault, polls /api/v1/findings every 200 ms from
// injection through repair + 10 s, and records every open finding that names a node outside
// the fault's own nodes without a root cause on those nodes listing it in `explains`.
// Used by test/e2e/precision.test.ts (a subset) and bench/precision.ts (the full matrix).
import type { Finding, Stack } from './stack.ts';

export interface PrecisionFault {
  name: string;
  /**
   * The nodes the fault is on; a finding naming any other node is wrong unless explained.
   * Empty for a life-cycle event (a node leaving, joining, its CNI restarting): every node is
   * healthy then, so every finding is wrong.
   */
  nodes: string[];
  /** The finding kind(s) that count as the correct diagnosis (naming only `nodes`); empty for a life-cycle event. */
  diagnosis: string[];
  /** A life-cycle event's correct diagnosis: the collector's view shows it (node departed, settling, …). */
  concluded?(stack: Stack): Promise<boolean>;
  /** After the repair, the cluster is back as before (e.g. the node active and verified): waited for, findings still checked, before the next fault. */
  recovered?(stack: Stack): Promise<boolean>;
  /** Keep the fault this long after the diagnosis instead of the run's default (a CNI restart takes seconds, not a hold of 6 s). */
  holdMs?: number;
  /** Once before any fault runs (e.g. an agent restarted with a flag the fault needs); returns its cleanup. */
  prepare?(stack: Stack): Promise<() => Promise<void>>;
  apply(stack: Stack): Promise<unknown>;
  repair(stack: Stack): Promise<unknown>;
}

export interface WrongFinding {
  id: string;
  kind: string;
  nodes: string[];
  /** Seconds after injection it was first seen, and in which phase. */
  atSeconds: number;
  phase: 'fault' | 'repair';
  /** Seconds after the start of that phase (injection or repair). */
  phaseSeconds: number;
  summary: string;
}

export interface PrecisionResult {
  fault: string;
  /** Seconds from injection to the first poll showing the diagnosis; undefined if never. */
  diagnosisSeconds?: number;
  wrong: WrongFinding[];
  /** Seconds from repair until the last poll that still showed an open finding (0 if none). */
  cleanSeconds: number;
  /** False when findings were still open (or the cluster not recovered) when the harness gave up waiting. */
  clean: boolean;
  /** What was still open then (kind(nodes): summary). */
  leftOpen: string[];
  polls: number;
}

export interface PrecisionOptions {
  pollMs?: number;
  /** Give up on the diagnosis after this long. */
  diagnosisTimeoutMs?: number;
  /** Keep the fault this long after the diagnosis showed up (lingering symptoms). */
  holdAfterDiagnosisMs?: number;
  /** Poll this long after the repair (the issue's "+ 10 s"). */
  afterRepairMs?: number;
  /** If still not clean then, wait up to this long more so the next fault starts clean. */
  settleMs?: number;
}

const subset = (nodes: string[], allowed: Set<string>) => nodes.length > 0 && nodes.every((n) => allowed.has(n));

/** Open findings that name a node outside `faultNodes` and are not explained by a root cause on them. */
export function wrongNodeFindings(open: Finding[], faultNodes: string[]): Finding[] {
  const allowed = new Set(faultNodes);
  const explained = new Set(open.filter((f) => subset(f.nodes, allowed)).flatMap((f) => f.explains));
  return open.filter((f) => !subset(f.nodes, allowed) && !explained.has(f.id));
}

export async function runPrecisionFault(stack: Stack, fault: PrecisionFault, options: PrecisionOptions = {}): Promise<PrecisionResult> {
  const pollMs = options.pollMs ?? 200;
  const diagnosisTimeoutMs = options.diagnosisTimeoutMs ?? 30_000;
  const holdMs = options.holdAfterDiagnosisMs ?? 6_000;
  const afterRepairMs = options.afterRepairMs ?? 10_000;
  const settleMs = options.settleMs ?? 30_000;
  const allowed = new Set(fault.nodes);
  const wrong = new Map<string, WrongFinding>();
  let polls = 0;
  let diagnosisSeconds: number | undefined;
  const started = performance.now();
  let phaseStarted = started;
  const elapsed = () => (performance.now() - started) / 1000;

  const poll = async (phase: WrongFinding['phase']): Promise<Finding[]> => {
    const open = await stack.findings();
    polls++;
    const at = elapsed();
    for (const f of wrongNodeFindings(open, fault.nodes)) {
      if (!wrong.has(f.id))
        wrong.set(f.id, {
          id: f.id,
          kind: f.kind,
          nodes: f.nodes,
          atSeconds: at,
          phase,
          phaseSeconds: (performance.now() - phaseStarted) / 1000,
          summary: f.summary,
        });
    }
    return open;
  };
  const pollUntil = async (
    phase: WrongFinding['phase'],
    untilMs: number,
    stop?: (open: Finding[]) => boolean | Promise<boolean>,
  ): Promise<boolean> => {
    while (performance.now() < untilMs) {
      const next = performance.now() + pollMs;
      if (await stop?.(await poll(phase))) return true;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
    }
    return false;
  };

  await fault.apply(stack);
  await pollUntil('fault', started + diagnosisTimeoutMs, async (open) => {
    const found = fault.concluded
      ? await fault.concluded(stack)
      : open.some((f) => fault.diagnosis.includes(f.kind) && subset(f.nodes, allowed));
    if (found) diagnosisSeconds = elapsed();
    return found;
  });
  await pollUntil('fault', performance.now() + (diagnosisSeconds === undefined ? 0 : (fault.holdMs ?? holdMs)));

  const repairedAt = performance.now();
  phaseStarted = repairedAt;
  await fault.repair(stack);
  let lastDirty = -1;
  let leftOpen: string[] = [];
  const track = (open: Finding[]) => {
    leftOpen = open.map((f) => `${f.kind}(${f.nodes.join(',')}): ${f.summary}`);
    if (open.length > 0) lastDirty = performance.now();
    return false;
  };
  await pollUntil('repair', repairedAt + afterRepairMs, track);
  let recovered = fault.recovered ? await fault.recovered(stack) : true;
  let clean = recovered && lastDirty < performance.now() - pollMs;
  if (!clean) {
    // Not clean (or not recovered) at repair + 10 s: wait (still checking) so the next fault starts clean.
    clean = await pollUntil('repair', performance.now() + settleMs, async (open) => {
      track(open);
      recovered ||= fault.recovered ? await fault.recovered(stack) : true;
      return recovered && open.length === 0;
    });
  }
  if (!recovered) leftOpen.push('(the cluster did not recover from the event)');
  return {
    fault: fault.name,
    ...(diagnosisSeconds !== undefined ? { diagnosisSeconds } : {}),
    wrong: [...wrong.values()],
    cleanSeconds: lastDirty < 0 ? 0 : (lastDirty - repairedAt) / 1000,
    clean,
    leftOpen: clean ? [] : leftOpen,
    polls,
  };
}

/** Runs every fault's prepare hook once; returns one cleanup for all of them. */
export async function preparePrecisionFaults(stack: Stack, faults: readonly PrecisionFault[]): Promise<() => Promise<void>> {
  const cleanups: (() => Promise<void>)[] = [];
  for (const fault of faults) if (fault.prepare) cleanups.push(await fault.prepare(stack));
  return async () => {
    await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  };
}

/** A markdown table row per fault. */
export function precisionTable(results: PrecisionResult[]): string {
  const rows = results.map((r) => {
    const wrongKinds = [
      ...new Set(
        r.wrong.map(
          (w) => `${w.kind}(${w.nodes.join(',')}) ${w.phase === 'repair' ? 'repair' : 'injection'} +${w.phaseSeconds.toFixed(1)} s`,
        ),
      ),
    ].join('; ');
    return `| ${r.fault} | ${r.diagnosisSeconds === undefined ? 'never' : `${r.diagnosisSeconds.toFixed(1)} s`} | ${r.wrong.length}${wrongKinds ? ` — ${wrongKinds}` : ''} | ${r.clean ? `${r.cleanSeconds.toFixed(1)} s` : `not clean (>${r.cleanSeconds.toFixed(1)} s)`} |`;
  });
  return [
    '| fault | time to correct diagnosis | wrong-node findings seen | time to clean after repair |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}
