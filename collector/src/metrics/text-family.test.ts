import { Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createTextFamily, createTextSink, registerTextFamily, type TextFamilySpec } from './text-family.ts';

type Sample = { value: number; labels: string[] };

const spec = (samples: Sample[], labelNames = ['node', 'network']): TextFamilySpec<Sample[]> => ({
  name: 'netsentry_test_ratio',
  help: 'A test family: backslash \\ and\nnewline in HELP.',
  type: 'gauge',
  labelNames,
  collect(scrape, emit) {
    for (const s of scrape) emit(s.value, ...(s.labels as [string?, string?, string?, string?]));
  },
});

function renderText(samples: Sample[], labelNames?: string[]): string {
  const sink = createTextSink();
  createTextFamily(spec(samples, labelNames), () => samples).render(samples, sink);
  return sink.toBuffer().toString('utf8');
}

/** What prom-client's own Gauge writes for the same samples. */
async function promClientText(samples: Sample[], labelNames = ['node', 'network']): Promise<string> {
  const registry = new Registry();
  const gauge = new Gauge({
    name: 'netsentry_test_ratio',
    help: 'A test family: backslash \\ and\nnewline in HELP.',
    labelNames,
    registers: [registry],
  });
  for (const s of samples) gauge.set(Object.fromEntries(labelNames.map((l, i) => [l, s.labels[i]!])), s.value);
  return registry.getSingleMetricAsString('netsentry_test_ratio');
}

describe('text family', () => {
  const samples: Sample[] = [
    { value: 0, labels: ['node-1', 'host'] },
    { value: 1, labels: ['node-1', 'pod'] },
    { value: 0.3333333333333333, labels: ['node-2', 'host'] },
    { value: 1450, labels: ['node-2', 'pod'] },
    { value: 1764039597.123, labels: ['node-3', 'host'] },
    { value: 123456789012345, labels: ['node-3', 'pod'] },
    { value: 1e21, labels: ['node-4', 'host'] },
    { value: -2, labels: ['node-4', 'pod'] },
    { value: 2.5e-7, labels: ['node-5', 'host'] },
    { value: Infinity, labels: ['node-5', 'pod'] },
    { value: -Infinity, labels: ['node-6', 'host'] },
    { value: 10, labels: ['node-6', 'pod'] },
  ];

  it('writes the same text as a prom-client Gauge', async () => {
    expect(renderText(samples)).toBe(await promClientText(samples));
  });

  it('writes the same text for 0, 1, 3 and 4 labels', async () => {
    for (const labelNames of [[], ['node'], ['kind', 'severity', 'node'], ['node', 'direction', 'network', 'protocol']]) {
      const rows =
        labelNames.length === 0
          ? [{ value: 4, labels: [] }]
          : samples.slice(0, 3).map((s, i) => ({ value: s.value, labels: labelNames.map((l) => `${l}-${i}`) }));
      expect(renderText(rows, labelNames)).toBe(await promClientText(rows, labelNames));
    }
  });

  it('escapes label values like prom-client, including non-ASCII ones', async () => {
    const odd: Sample[] = [
      { value: 1, labels: ['quote"d', 'back\\slash'] },
      { value: 2, labels: ['new\nline', 'both\\"'] },
      { value: 3, labels: ['nœud-é', 'ネット'] },
      { value: 4, labels: ['', 'tab\tand\u0001'] },
    ];
    const text = renderText(odd);
    expect(text).toContain('netsentry_test_ratio{node="quote\\"d",network="back\\\\slash"} 1');
    expect(text).toContain('netsentry_test_ratio{node="new\\nline",network="both\\\\\\""} 2');
    expect(text).toContain('netsentry_test_ratio{node="nœud-é",network="ネット"} 3');
    expect(text).toBe(await promClientText(odd));
  });

  it('spells NaN as the text format does (prom-client writes "Nan")', () => {
    expect(renderText([{ value: NaN, labels: ['a', 'b'] }])).toMatch(/\{node="a",network="b"\} NaN$/);
  });

  it('refuses a sample with too few or too many label values', () => {
    expect(() => renderText([{ value: 1, labels: ['only-node'] }])).toThrow(/expected 2 label values/);
    expect(() => renderText([{ value: 1, labels: ['a', 'b', 'c'] }])).toThrow(/expected 2 label values/);
    expect(() => createTextFamily({ ...spec([]), labelNames: ['a', 'b', 'c', 'd', 'e'] }, () => [])).toThrow(/at most 4 labels/);
  });

  it('grows past its first buffer without losing or reordering text', async () => {
    // ~100 bytes a line × 15,000 lines: past the 1 MiB first buffer.
    const many: Sample[] = Array.from({ length: 15_000 }, (_, i) => ({
      value: i / 7,
      labels: [`node-${i}-with-a-longer-name-for-more-bytes`, i % 2 ? 'pod' : 'host'],
    }));
    expect(renderText(many)).toBe(await promClientText(many));
    const sink = createTextSink(Buffer.alloc(10)); // too small: it must grow
    sink.text('x'.repeat(3 << 20));
    sink.ascii('y');
    expect(sink.toBuffer().toString()).toBe(`${'x'.repeat(3 << 20)}y`);
  });

  it('shows in the registry like a prom-client metric (JSON, labelNames, registry.metrics())', async () => {
    const registry = new Registry();
    const current: Sample[] = [{ value: 0.5, labels: ['node-1', 'pod'] }];
    registerTextFamily(registry, spec(current), () => current);
    expect(await registry.getMetricsAsJSON()).toEqual([
      {
        name: 'netsentry_test_ratio',
        help: 'A test family: backslash \\ and\nnewline in HELP.',
        type: 'gauge',
        aggregator: 'sum',
        values: [{ value: 0.5, labels: { node: 'node-1', network: 'pod' } }],
      },
    ]);
    expect((registry.getSingleMetric('netsentry_test_ratio') as unknown as { labelNames: string[] }).labelNames).toEqual([
      'node',
      'network',
    ]);
    expect(await registry.metrics()).toBe(`${await promClientText(current)}\n`);
    expect(() => registerTextFamily(registry, spec(current), () => current)).toThrow(/already been registered/);
  });
});
