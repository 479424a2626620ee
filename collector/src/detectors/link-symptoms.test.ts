import { describe, expect, it } from 'vitest';
import type { FindingCandidate } from './finding-candidate.ts';
import { linkSymptoms } from './link-symptoms.ts';

const c = (kind: string, nodes: string[], extra: Partial<FindingCandidate> = {}): FindingCandidate => ({
  id: [kind, ...nodes].join(':'),
  kind,
  severity: 'warning',
  nodes,
  summary: '',
  evidence: [],
  remediation: [],
  explains: [],
  ...extra,
});
const explained = (list: FindingCandidate[], id: string) => list.find((x) => x.id === id)!.explains.sort();

describe('linkSymptoms (from the finding-kinds table)', () => {
  it('OverlayRouteMissing explains pair failures toward the peers it names, not others', () => {
    const out = linkSymptoms([
      c('OverlayRouteMissing', ['node-3'], { related: ['node-1'] }),
      c('AsymmetricReachability', ['node-3', 'node-1']),
      c('AsymmetricReachability', ['node-3', 'node-2']),
      c('AsymmetricReachability', ['node-4', 'node-1']),
    ]);
    expect(explained(out, 'OverlayRouteMissing:node-3')).toEqual(['AsymmetricReachability:node-3:node-1']);
  });

  it('ProtocolBlocked explains every per-protocol asymmetry of its node, and its NodeIsolated; keeps what the detector listed', () => {
    const out = linkSymptoms([
      c('ProtocolBlocked', ['node-3'], { explains: ['DnsFailure:node-3'] }),
      c('AsymmetricReachability', ['node-2', 'node-3']),
      c('AsymmetricReachability', ['node-3', 'node-4']),
      c('AsymmetricReachability', ['node-1', 'node-2']),
      c('NodeIsolated', ['node-3']),
      c('NodeIsolated', ['node-1']),
    ]);
    expect(explained(out, 'ProtocolBlocked:node-3')).toEqual([
      'AsymmetricReachability:node-2:node-3',
      'AsymmetricReachability:node-3:node-4',
      'DnsFailure:node-3',
      'NodeIsolated:node-3',
    ]);
  });

  it('LinkDown explains the route loss through its device on the same node only', () => {
    const out = linkSymptoms([
      c('LinkDown', ['node-2']),
      c('OverlayRouteMissing', ['node-2'], { related: ['node-1'] }),
      c('OverlayRouteMissing', ['node-4'], { related: ['node-2'] }),
    ]);
    expect(explained(out, 'LinkDown:node-2')).toEqual(['OverlayRouteMissing:node-2']);
  });

  it('OverlayPeerDisagreement explains the peers whose broken entries all point at its node', () => {
    const out = linkSymptoms([
      c('OverlayPeerDisagreement', ['node-2']),
      c('OverlayRouteMissing', ['node-1'], { related: ['node-2'] }),
      c('OverlayRouteMissing', ['node-3'], { related: ['node-2', 'node-4'] }),
    ]);
    expect(explained(out, 'OverlayPeerDisagreement:node-2')).toEqual(['OverlayRouteMissing:node-1']);
  });

  it('a symptom kind explains nothing', () => {
    const input = [c('AsymmetricReachability', ['node-1', 'node-2']), c('DnsFailure', ['node-1'])];
    expect(linkSymptoms(input)).toEqual(input);
  });
});
