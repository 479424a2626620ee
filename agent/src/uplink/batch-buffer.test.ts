import { create } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { ProbeBatchSchema, type ProbeBatch } from '../../../shared/src/gen/netsentry/v1/probe_pb.js';
import { createLogger } from '../../../shared/src/logger.ts';
import { createBatchBuffer } from './batch-buffer.ts';

const batch = (n: number, tag: number) =>
  create(ProbeBatchSchema, { results: Array.from({ length: n }, () => ({ targetNode: `node-${tag}` })), intervalSeconds: 5 });

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    name: 't',
    destination: { write: (line: string) => void lines.push(line) } as unknown as NodeJS.WritableStream,
  });
  return { logger, lines };
}

describe('batch buffer', () => {
  it('keeps at most maxBatches, drops the oldest, counts every drop and logs once per outage', () => {
    let t = 0;
    const { logger, lines } = capture();
    const buffer = createBatchBuffer({ logger, maxBatches: 3, now: () => t });
    for (let i = 1; i <= 5; i++) {
      buffer.hold(batch(1, i));
      t += 5_000;
    }
    expect(buffer.stats).toMatchObject({ held: 3, dropped: 2 });
    expect(lines.filter((l) => l.includes('buffer full'))).toHaveLength(1);
    const sent: ProbeBatch[] = [];
    expect(buffer.flush((b) => (sent.push(b), true))).toBe(3);
    expect(sent.map((b) => b.results[0]!.targetNode)).toEqual(['node-3', 'node-4', 'node-5']);
    // Dated by how long each was held (monotonic clock).
    expect(sent.map((b) => b.heldMs)).toEqual([15_000, 10_000, 5_000]);
    // A new outage logs again.
    for (let i = 0; i < 4; i++) buffer.hold(batch(1, i));
    expect(lines.filter((l) => l.includes('buffer full'))).toHaveLength(2);
  });

  it('bounds the results held over all batches', () => {
    const { logger } = capture();
    const buffer = createBatchBuffer({ logger, maxBatches: 100, maxResults: 250 });
    for (let i = 0; i < 10; i++) buffer.hold(batch(100, i));
    expect(buffer.stats.results).toBeLessThanOrEqual(250);
    expect(buffer.stats.held).toBe(2);
  });

  it('counts path summaries and covered targets against the same bound as results', () => {
    const { logger } = capture();
    const buffer = createBatchBuffer({ logger, maxBatches: 100, maxResults: 250 });
    const byException = (i: number) =>
      create(ProbeBatchSchema, {
        pathSummaries: Array.from({ length: 20 }, () => ({ targetNode: `node-${i}`, sent: 3, lost: 3 })),
        coverage: [{ targetNodes: Array.from({ length: 80 }, (_, n) => `peer-${n}`), udpSmall: 3 }],
      });
    for (let i = 0; i < 10; i++) buffer.hold(byException(i));
    expect(buffer.stats.results).toBe(200);
    expect(buffer.stats.held).toBe(2);
    buffer.flush(() => true);
    expect(buffer.stats.results).toBe(0);
  });

  it('stops flushing when a send fails and keeps the rest', () => {
    const { logger } = capture();
    const buffer = createBatchBuffer({ logger });
    for (let i = 0; i < 3; i++) buffer.hold(batch(1, i));
    let ok = 1;
    expect(buffer.flush(() => ok-- > 0)).toBe(1);
    expect(buffer.stats.held).toBe(2);
  });
});
