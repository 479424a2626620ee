// Open before resolved; root causes first: a finding that explains others comes before them; otherwise by
// severity (critical first), then since (oldest first), then id.
import type { Severity } from '../detectors/finding-candidate.ts';
import type { FindingRecord } from './finding.ts';

const severityRank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function compare(a: FindingRecord, b: FindingRecord): number {
  return (
    (a.state === 'open' ? 0 : 1) - (b.state === 'open' ? 0 : 1) ||
    severityRank[a.candidate.severity] - severityRank[b.candidate.severity] ||
    a.sinceMs - b.sinceMs ||
    (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0)
  );
}

export function orderFindings(records: FindingRecord[]): FindingRecord[] {
  const sorted = [...records].sort(compare);
  const byId = new Map(sorted.map((r) => [r.candidate.id, r]));
  const explainers = new Map<string, FindingRecord[]>();
  for (const record of sorted) {
    if (record.state !== 'open') continue; // a resolved root cause no longer orders what it explained
    for (const id of record.candidate.explains) {
      if (!byId.has(id) || id === record.candidate.id) continue;
      const list = explainers.get(id) ?? [];
      list.push(record);
      explainers.set(id, list);
    }
  }
  const out: FindingRecord[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const emit = (record: FindingRecord): void => {
    const id = record.candidate.id;
    if (done.has(id) || visiting.has(id)) return; // visiting: a cycle, break it here
    visiting.add(id);
    for (const explainer of explainers.get(id) ?? []) emit(explainer);
    visiting.delete(id);
    done.add(id);
    out.push(record);
  };
  for (const record of sorted) emit(record);
  return out;
}
