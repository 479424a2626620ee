// The collector's worst rows against the page's own count from every cell (app.js, the
// reference): the same rows, counts and marks on random meshes, from O(rows) of answer.
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../shared/src/logger.ts';
import type { ClusterSnapshot } from '../model/cluster-snapshot.ts';
import { buildServer } from './build-server.ts';
import * as pageModule from './page/app.js';
import { matrixView, matrixWorstView } from './matrix-view.ts';
import { parseWorst, worstRows } from './matrix-worst.ts';
import { withMarks } from '../../../test/fixtures/matrix-marks.ts';

const page: any = pageModule;

interface Mesh {
  names: string[];
  snapshot: ClusterSnapshot;
}

/** A sampled mesh: each node probes `peers` others; some paths failing, some lossy, a few without attempts. */
function mesh(count: number, peers: number, seed: number, broken: string[] = []): Mesh {
  let s = seed;
  const random = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const names = Array.from({ length: count }, (_, i) => `node-${i + 1}`);
  const paths = names.flatMap((source, i) =>
    Array.from({ length: peers }, (_, k) => names[(i + 1 + k * 7) % count]!)
      .filter((d) => d !== source)
      .map((destination) => {
        const r = random();
        const failing = broken.includes(source) || broken.includes(destination) || r < 0.03;
        const attempts = r > 0.97 ? 0 : 6;
        const lossRatio = failing ? 1 : r < 0.08 ? 0.17 : 0;
        return {
          source,
          destination,
          network: 'pod',
          protocol: 'udp',
          size: 'small',
          attempts,
          failures: Math.round(lossRatio * 6),
          lossRatio,
          failing,
          rttP50Seconds: 0.0003,
          rttP95Seconds: 0.0005,
        };
      }),
  );
  const nodes = names.map((name) => ({ name, podAgent: {} }));
  return { names, snapshot: { nowMs: 0, nodes, probes: { paths, windowSeconds: 10, agents: [], dns: [] } } as unknown as ClusterSnapshot };
}

const finding = (node: string, severity = 'critical') => ({ id: `X:${node}`, kind: 'X', severity, nodes: [node], state: 'open' });

describe('worst rows of /api/v1/matrix', () => {
  for (const [count, peers, seed, broken, named] of [
    [150, 10, 1, ['node-7'], ['node-7']],
    [300, 20, 2, ['node-3', 'node-200'], []],
    [120, 119, 3, [], ['node-50']],
    [200, 8, 4, ['node-9'], ['node-9', 'node-10']],
  ] as const) {
    it(`match the page's count from every cell (${count} nodes, ${peers} peers, broken ${broken.join(',') || 'none'})`, () => {
      const { snapshot } = mesh(count, peers, seed, [...broken]);
      const findings = named.map((n) => finding(n));
      const full = matrixView(snapshot, { network: 'pod', protocol: 'udp' }, findings).matrices[0]!;
      // The reference: marks counted from every cell (test/fixtures/matrix-marks.ts), as the page once did.
      const fromCells = withMarks(full, findings).marks;
      expect(full.marks).toEqual(fromCells);
      const reference = page.worstRows(full, page.nodeMarks({ ...full, marks: fromCells }));
      const answer = matrixWorstView(snapshot, { network: 'pod', protocol: 'udp', worst: 500 }, findings).matrices[0]! as any;
      expect(answer.cells).toBeUndefined();
      const fromAnswer = page.worstRows(answer, page.nodeMarks(answer));
      expect(fromAnswer.total).toBe(count);
      expect(fromAnswer.problems).toBe(reference.bad.length);
      expect(fromAnswer.bad).toEqual(reference.bad);
      expect(fromAnswer.bad.length).toBeGreaterThan(0);
      // The ?worst= answer serves the same marks as the full matrix.
      expect(answer.marks).toEqual(fromCells);
      expect(fromCells.map((m) => m.node)).toEqual(expect.arrayContaining([...broken, ...named]));
    });
  }

  it('returns at most N rows, worst first, and reuses the index for the same probe view', () => {
    const { snapshot } = mesh(400, 10, 5, ['node-5']);
    const few = worstRows(snapshot, 'pod', 'udp', 3, new Set());
    expect(few.worst).toHaveLength(3);
    expect(few.worst[0]).toMatchObject({ node: 'node-5', marked: true, broken: { failing: 20, measured: 20 } });
    expect(few.nodesWithProblems).toBeGreaterThan(3);
    expect(few.nodeCount).toBe(400);
    const again = worstRows(snapshot, 'pod', 'udp', 3, new Set());
    expect(again.worst[0]).toBe(few.worst[0]);
    // Another set of named nodes changes the marks, not the index.
    const named = worstRows(snapshot, 'pod', 'udp', 3, new Set(['node-400']));
    expect(named.worst.map((r) => r.node)).toContain('node-400');
  });

  it('validates ?worst=', () => {
    expect(parseWorst({})).toEqual({});
    expect(parseWorst({ worst: '50' })).toEqual({ worst: 50 });
    for (const bad of ['0', '501', '-1', '1e2', 'x', ''])
      expect(parseWorst({ worst: bad })).toMatchObject({ error: expect.stringMatching(/worst must be an integer in 1\.\.500/) });
    expect(parseWorst({ worst: '5', limit: '10' })).toMatchObject({ error: expect.stringMatching(/cannot be combined/) });
  });
});

describe('GET /api/v1/matrix?worst=', () => {
  it('answers the N worst rows (node-7, named by a finding, first) in a bounded body, and refuses bad values with 400', async () => {
    const { snapshot } = mesh(1000, 20, 6, ['node-7']);
    const app = buildServer({
      model: { snapshot: () => snapshot },
      findings: { list: () => [finding('node-7')] as never },
      metrics: { exposition: async () => ({ body: Buffer.alloc(0), release: () => {} }), contentType: 'text/plain' },
      logger: createSilentLogger(),
      isReady: () => true,
    });
    try {
      const full = await app.inject({ method: 'GET', url: '/api/v1/matrix?network=pod&protocol=udp' });
      const worst = await app.inject({ method: 'GET', url: '/api/v1/matrix?network=pod&protocol=udp&worst=50' });
      expect(worst.statusCode).toBe(200);
      const [m] = worst.json().matrices;
      expect(m).toMatchObject({ network: 'pod', protocol: 'udp', nodeCount: 1000 });
      expect(m.cells).toBeUndefined();
      expect(m.worst).toHaveLength(50);
      expect(m.worst[0]).toMatchObject({ node: 'node-7', marked: true });
      expect(m.nodesWithProblems).toBeGreaterThan(50);
      // 50 rows, not 20,000 cells.
      expect(worst.body.length).toBeLessThan(10_000);
      expect(full.body.length).toBeGreaterThan(100 * worst.body.length);
      for (const bad of ['0', '501', 'abc', '10&limit=5']) {
        const refused = await app.inject({ method: 'GET', url: `/api/v1/matrix?worst=${bad}` });
        expect(refused.statusCode).toBe(400);
        expect(refused.json()).toMatchObject({ error: 'invalid_argument', message: expect.stringMatching(/^worst /) });
      }
    } finally {
      await app.close();
    }
  });
});
