import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import {
  LinkCountersSchema,
  LinkRole,
  NodeReportSchema,
  OverlayKind,
  OverlayPart,
  Problem,
  type NodeReport,
} from '../../../shared/src/gen/netsentry/v1/node_pb.js';
import { validateNodeReport } from './validate-report.ts';

const good = () =>
  create(NodeReportSchema, {
    observedAtUnixMs: 1n,
    peerSetGeneration: 3n,
    overlay: {
      kind: OverlayKind.FLANNEL_VXLAN,
      peersChecked: 3,
      peersOk: 2,
      durationSeconds: 0.01,
      healthyDigest: '0123456789abcdef',
      problems: [
        {
          peer: 'node-3',
          parts: [{ part: OverlayPart.ROUTE, problem: Problem.MISSING, expected: '198.18.3.0/24 via 198.18.3.0 dev flannel.1 onlink' }],
        },
      ],
    },
    links: [{ name: 'flannel.1', role: LinkRole.OVERLAY, present: true, up: true, operState: 'UNKNOWN', mtu: 1450, kind: 'vxlan' }],
    conntrack: { available: true, entries: 10n, maxEntries: 262_144n },
    sysctls: { rpFilter: { all: 0, default: 1, 'flannel.1': 0 } },
    unavailable: [{ source: 'conntrack', reason: 'EACCES' }],
    trigger: 'periodic',
  });

describe('validateNodeReport', () => {
  it('accepts a well-formed report', () => {
    expect(validateNodeReport(good())).toBeUndefined();
  });
  it.each([
    ['peers_ok above peers_checked', (r: NodeReport) => (r.overlay!.peersOk = 4), /peers_ok/],
    ['more problems than peers checked', (r: NodeReport) => (r.overlay!.peersChecked = 0), /peers_ok|more entries than peers_checked/],
    ['too many peers', (r: NodeReport) => (r.overlay!.peersChecked = 10_001), /peers_checked/],
    ['unknown overlay kind', (r: NodeReport) => (r.overlay!.kind = 9 as OverlayKind), /overlay kind/],
    ['NaN duration', (r: NodeReport) => (r.overlay!.durationSeconds = Number.NaN), /duration_seconds/],
    ['empty peer name', (r: NodeReport) => (r.overlay!.problems[0]!.peer = ''), /peer is empty/],
    ['unknown part', (r: NodeReport) => (r.overlay!.problems[0]!.parts[0]!.part = 0 as OverlayPart), /not a known part/],
    ['unknown problem', (r: NodeReport) => (r.overlay!.problems[0]!.parts[0]!.problem = 99 as Problem), /not a known problem/],
    ['huge expected text', (r: NodeReport) => (r.overlay!.problems[0]!.parts[0]!.expected = 'x'.repeat(513)), /text is too long/],
    [
      'too many parts',
      (r: NodeReport) => (r.overlay!.problems[0]!.parts = Array.from({ length: 9 }, () => r.overlay!.problems[0]!.parts[0]!)),
      /more than 8/,
    ],
    ['link name with a slash', (r: NodeReport) => (r.links[0]!.name = 'a/b'), /interface name/],
    ['empty link name', (r: NodeReport) => (r.links[0]!.name = ''), /interface name/],
    ['unknown link role', (r: NodeReport) => (r.links[0]!.role = 7 as LinkRole), /role/],
    ['link MTU out of range', (r: NodeReport) => (r.links[0]!.mtu = 1 << 20), /mtu/],
    ['too many links', (r: NodeReport) => (r.links = Array.from({ length: 65 }, () => r.links[0]!)), /more than 64/],
    ['conntrack counter beyond 2^53', (r: NodeReport) => (r.conntrack!.dropTotal = 1n << 60n), /conntrack.drop_total/],
    ['rp_filter value 7', (r: NodeReport) => (r.sysctls!.rpFilter['all'] = 7), /rp_filter values/],
    ['rp_filter bad name', (r: NodeReport) => (r.sysctls!.rpFilter['a b'] = 0), /interface name/],
    ['long unavailable reason', (r: NodeReport) => (r.unavailable[0]!.reason = 'r'.repeat(513)), /unavailable/],
    ['long trigger', (r: NodeReport) => (r.trigger = 't'.repeat(33)), /trigger/],
    ['negative observation time', (r: NodeReport) => (r.observedAtUnixMs = -5n), /observed_at/],
    [
      'too many link counters',
      (r: NodeReport) => (r.linkCounters = Array.from({ length: 65 }, () => create(LinkCountersSchema, { name: 'eth0' }))),
      /link_counters has more than 64/,
    ],
    [
      'a negative link rate',
      (r: NodeReport) => (r.linkCounters = [create(LinkCountersSchema, { name: 'eth0', rxErrorsPerSecond: -1 })]),
      /link_counters\[\] has a rate/,
    ],
    [
      'a NaN link interval',
      (r: NodeReport) => (r.linkCounters = [create(LinkCountersSchema, { name: 'eth0', intervalSeconds: Number.NaN })]),
      /link_counters\[\] has a rate/,
    ],
  ])('refuses %s', (_name, mutate, message) => {
    const report = good();
    mutate(report);
    expect(validateNodeReport(report)).toMatch(message);
  });
});
