// A metric family that writes its Prometheus exposition text directly from one scrape's
// data. prom-client's Gauge hashes every label set on set() and again formats label objects
// on render: at 5,000 nodes (~100,000 series) that alone took seconds. A text family keeps
// no state between scrapes; it is registered in the prom-client Registry like any metric,
// so getMetricsAsJSON(), getSingleMetric() and registry.metrics() still see it.
import type { Metric, Registry } from 'prom-client';

/** Emits one sample: label values in the family's labelNames order. */
export type Emit = (value: number, ...labelValues: string[]) => void;

export interface TextFamilySpec<S> {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  /** Called once per scrape with that scrape's data; emit each sample once (label sets are not merged). */
  collect(scrape: S, emit: Emit): void;
}

export interface TextFamily<S> {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  /** The family's exposition text (HELP, TYPE, samples), without a trailing newline. */
  render(scrape: S): string;
  /** prom-client's metric object shape, for getMetricsAsJSON() and registry.metrics(). */
  get(): Promise<{ name: string; help: string; type: string; aggregator: 'sum'; values: { value: number; labels: Record<string, string> }[] }>;
  reset(): void;
}

// Text format 0.0.4: HELP escapes \ and newline; label values also escape ".
const needsEscape = /[\\\n"]/;
export const escapeLabelValue = (value: string): string => (needsEscape.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value);
const escapeHelp = (help: string): string => help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** As prom-client writes values (NaN as the format spells it). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

export function createTextFamily<S>(spec: TextFamilySpec<S>, current: () => S): TextFamily<S> {
  const { name, help, type, labelNames } = spec;
  const header = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
  // `name{a="` then `",b="` … then `"} `: one concatenation per label per sample.
  const open = labelNames.length ? `\n${name}{${labelNames[0]}="` : `\n${name} `;
  const separators = labelNames.slice(1).map((label) => `",${label}="`);
  const close = labelNames.length ? '"} ' : '';
  const arity = labelNames.length;
  const check = (labelValues: string[]): void => {
    if (labelValues.length !== arity) throw new Error(`${name}: ${labelValues.length} label values for ${arity} labels`);
  };
  return {
    name,
    help,
    type,
    labelNames,
    render(scrape) {
      let text = header;
      spec.collect(scrape, (value, ...labelValues) => {
        check(labelValues);
        let line = open;
        for (let i = 0; i < arity; i += 1) line += (i ? separators[i - 1]! : '') + escapeLabelValue(labelValues[i]!);
        text += `${line}${close}${formatValue(value)}`;
      });
      return text;
    },
    async get() {
      const values: { value: number; labels: Record<string, string> }[] = [];
      spec.collect(current(), (value, ...labelValues) => {
        check(labelValues);
        values.push({ value, labels: Object.fromEntries(labelNames.map((label, i) => [label, labelValues[i]!])) });
      });
      return { name, help, type, aggregator: 'sum', values };
    },
    reset() {},
  };
}

/** Registers the family in `registry` (it keeps the registry's order and name checks). */
export function registerTextFamily<S>(registry: Registry, spec: TextFamilySpec<S>, current: () => S): TextFamily<S> {
  const family = createTextFamily(spec, current);
  // The Registry only reads name, type, get() and reset(); its typing lists prom-client's own classes.
  registry.registerMetric(family as unknown as Metric);
  return family;
}

/** The metric as a text family, or undefined for prom-client's own metrics. */
export function asTextFamily(metric: object): TextFamily<unknown> | undefined {
  return typeof (metric as { render?: unknown }).render === 'function' ? (metric as TextFamily<unknown>) : undefined;
}
