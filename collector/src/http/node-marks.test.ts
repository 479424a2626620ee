import { describe, expect, it } from 'vitest';
import { nodeMarks } from './node-marks.ts';

describe('nodeMarks', () => {
  const counts = { broken: new Map([['node-3', { failing: 6, measured: 6 }]]), failingOf: (n: string) => (n === 'node-3' ? 6 : 1) };
  const matrix = { network: 'pod', protocol: 'udp' };

  it('marks nodes named by open findings (their worst severity) and broken nodes (critical), by name', () => {
    const marks = nodeMarks(
      [
        { kind: 'ConntrackPressure', severity: 'warning', nodes: ['node-10'], state: 'open' },
        { kind: 'LinkDown', severity: 'critical', nodes: ['node-2'], state: 'open' },
        { kind: 'LinkErrors', severity: 'warning', nodes: ['node-2'] },
        { kind: 'AgentMissing', severity: 'critical', nodes: ['node-9'], state: 'resolved' },
      ],
      counts,
      matrix,
    );
    expect(marks).toEqual([
      { node: 'node-2', level: 'critical', reasons: ['LinkDown (critical)', 'LinkErrors (warning)'], failing: 1 },
      { node: 'node-3', level: 'critical', reasons: ['fails 6 of 6 pairs on pod/udp'], failing: 6 },
      { node: 'node-10', level: 'warning', reasons: ['ConntrackPressure (warning)'], failing: 1 },
    ]);
  });
});
