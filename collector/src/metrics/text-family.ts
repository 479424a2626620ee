// A metric family that writes its Prometheus exposition text directly from one scrape's
// data. prom-client's Gauge hashes every label set on set() and builds label objects that
// the Registry formats again on render: at 5,000 nodes (~100,000 series) that took seconds.
// A text family keeps no state between scrapes; it is registered in the prom-client
// Registry like any metric, so getMetricsAsJSON(), getSingleMetric() and registry.metrics()
// still see it (through get(), the slow path).
import type { Metric, Registry } from 'prom-client';

/** Emits one sample: label values in the family's labelNames order, exactly as many as it has labels. */
export type Emit = (value: number, a?: string, b?: string, c?: string, d?: string) => void;

export interface TextFamilySpec<S> {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  /** At most four. */
  readonly labelNames: readonly string[];
  /**
   * Called once per scrape with that scrape's data; emit each label set once (samples are
   * not merged). A generator may `yield` between samples (every ~1,000 nodes): the render
   * can then let the event loop run there.
   */
  collect(scrape: S, emit: Emit): void | Iterator<unknown>;
}

/** Items per step of eachInSteps: ~1,000 nodes' samples, well under a millisecond. */
export const stepItems = 1024;

/** Calls `each` for every item, yielding after every stepItems: a collect that can pause. */
export function* eachInSteps<T>(items: readonly T[], each: (item: T) => void): Generator<void, void, unknown> {
  for (let i = 0; i < items.length; i += 1) {
    each(items[i]!);
    if ((i + 1) % stepItems === 0) yield;
  }
}

/** Runs a collect to its end (a generator's every step). */
function drain(result: void | Iterator<unknown>): void {
  if (result) while (!result.next().done);
}

export interface TextFamily<S> {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  /** Writes the family's exposition text (HELP, TYPE, one line per sample), without a trailing newline. */
  render(scrape: S, sink: TextSink): void;
  /** The same in steps: each next() writes up to the collect's next yield. */
  renderSteps(scrape: S, sink: TextSink): Iterator<unknown>;
  /** prom-client's metric object shape, for getMetricsAsJSON() and registry.metrics(). */
  get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { value: number; labels: Record<string, string> }[];
  }>;
  reset(): void;
}

/**
 * Writes exposition text straight into byte buffers. Building a string per line (or
 * one long rope) and encoding it costs ~1 µs per line here; copying characters into bytes
 * costs a third of that, and the HTTP reply sends the bytes as they are.
 */
export interface TextSink {
  /** Text that is ASCII and needs no escaping: names, label names, the punctuation between them. */
  ascii(text: string): void;
  /** Any text, as UTF-8 (HELP lines, prom-client's own output). */
  text(text: string): void;
  /** A label value, escaped (\\, \n, \"). */
  labelValue(value: string): void;
  /** A sample value as prom-client writes it (NaN and ±Inf spelt as the format wants). */
  sampleValue(value: number): void;
  /** A whole sample line: `shape.open`, the label values between `shape.separators`, `shape.close`, the value. */
  sample(shape: SampleShape, value: number, a?: string, b?: string, c?: string, d?: string): void;
  toBuffer(): Buffer;
}

/** The constant parts of a family's sample lines, e.g. `\nname{node="`, `",network="`, `"} `. */
export interface SampleShape {
  readonly arity: number;
  readonly open: string;
  readonly separators: readonly string[];
  readonly close: string;
  /** Sum of the constant parts' lengths. */
  readonly fixedLength: number;
}

/** Copies ASCII `text` to `b` at `u`; returns the new offset. Small enough for the compiler to inline. */
function copyAscii(b: Buffer, u: number, text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i += 1) b[u++] = text.charCodeAt(i);
  return u;
}

/** Copies a label value escaped; returns the new offset, or -1 when it is not ASCII (the caller writes UTF-8). */
function copyLabel(b: Buffer, u: number, value: string): number {
  const n = value.length;
  for (let i = 0; i < n; i += 1) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x80 && c !== 0x22 && c !== 0x5c) b[u++] = c;
    else if (c === 0x22 || c === 0x5c) {
      b[u++] = 0x5c;
      b[u++] = c;
    } else if (c === 0x0a) {
      b[u++] = 0x5c;
      b[u++] = 0x6e;
    } else if (c < 0x80) b[u++] = c;
    else return -1;
  }
  return u;
}

/** Writes a non-negative integer below 1e15 in decimal (as `${value}` would); returns the new offset. */
function copyInteger(b: Buffer, u: number, value: number): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits += 1;
  let rest = value;
  for (let i = digits - 1; i >= 0; i -= 1) {
    b[u + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return u + digits;
}

const isSmallInteger = (value: number): boolean => Number.isInteger(value) && value >= 0 && value < 1e15;

const chunkBytes = 1 << 20;

/**
 * Writes into `into` (e.g. a buffer kept from an earlier scrape), else into a new buffer of
 * at least 1 MiB; past its end into further buffers, concatenated by toBuffer().
 */
export function createTextSink(into?: Buffer): TextSink {
  const chunks: Buffer[] = [];
  let buffer = into ?? Buffer.allocUnsafe(chunkBytes);
  let used = 0;
  const room = (bytes: number): void => {
    if (used + bytes <= buffer.length) return;
    chunks.push(buffer.subarray(0, used));
    buffer = Buffer.allocUnsafe(Math.max(chunkBytes, bytes));
    used = 0;
  };
  const text = (value: string): void => {
    room(value.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    used += buffer.write(value, used, 'utf8');
  };
  // The copies run on locals: `buffer[used++]` on the closure's variables reads and writes
  // the context on every byte, several times slower.
  const ascii = (value: string): void => {
    room(value.length);
    used = copyAscii(buffer, used, value);
  };
  const labelValue = (value: string): void => {
    room(2 * value.length);
    const u = copyLabel(buffer, used, value);
    // Not ASCII (node names never are, by validation): write it as UTF-8.
    if (u < 0) text(escapeLabelValue(value));
    else used = u;
  };
  // Counts, MTUs and 0/1 written digit by digit: no string per sample. `${value}` is the same
  // text for integers below 1e21; 1e15 keeps the arithmetic exact.
  const sampleValue = (value: number): void => {
    if (isSmallInteger(value)) {
      room(16);
      used = copyInteger(buffer, used, value);
    } else ascii(formatValue(value));
  };
  return {
    ascii,
    text,
    labelValue,
    sampleValue,
    sample(shape, value, a, b, c, d) {
      // One room check and one call per line (~100,000 a scrape at 5,000 nodes).
      const { arity } = shape;
      room(shape.fixedLength + 2 * ((a?.length ?? 0) + (b?.length ?? 0) + (c?.length ?? 0) + (d?.length ?? 0)) + 32);
      const out = buffer;
      let u = copyAscii(out, used, shape.open);
      if (arity > 0) {
        u = copyLabel(out, u, a!);
        if (arity > 1 && u >= 0) u = copyLabel(out, copyAscii(out, u, shape.separators[0]!), b!);
        if (arity > 2 && u >= 0) u = copyLabel(out, copyAscii(out, u, shape.separators[1]!), c!);
        if (arity > 3 && u >= 0) u = copyLabel(out, copyAscii(out, u, shape.separators[2]!), d!);
        if (u < 0) {
          // A label value that is not ASCII: the line again, piece by piece, with UTF-8.
          ascii(shape.open);
          const values = [a!, b!, c!, d!];
          for (let i = 0; i < arity; i += 1) {
            if (i > 0) ascii(shape.separators[i - 1]!);
            labelValue(values[i]!);
          }
          ascii(shape.close);
          sampleValue(value);
          return;
        }
        u = copyAscii(out, u, shape.close);
      }
      used = isSmallInteger(value) ? copyInteger(out, u, value) : copyAscii(out, u, formatValue(value));
    },
    toBuffer() {
      chunks.push(buffer.subarray(0, used));
      buffer = Buffer.allocUnsafe(0);
      used = 0;
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    },
  };
}

// Text format 0.0.4: HELP escapes \ and newline; label values also escape ".
export const escapeLabelValue = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (help: string): string => help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** As prom-client writes values, except NaN, which it spells "Nan". */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return `${value}`;
}

export function createTextFamily<S>(spec: TextFamilySpec<S>, current: () => S): TextFamily<S> {
  const { name, help, type, labelNames } = spec;
  const arity = labelNames.length;
  if (arity > 4) throw new Error(`${name}: at most 4 labels, got ${arity}`);
  const header = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
  // `\nname{a="` … `",b="` … `"} value`: the constant parts built once.
  const open = arity ? `\n${name}{${labelNames[0]}="` : `\n${name} `;
  const separators = labelNames.slice(1).map((label) => `",${label}="`);
  const close = arity ? '"} ' : '';
  const shape: SampleShape = {
    arity,
    open,
    separators,
    close,
    fixedLength: open.length + separators.reduce((n, sep) => n + sep.length, 0) + close.length,
  };
  const arityOk = (a?: string, b?: string, c?: string, d?: string): boolean =>
    arity === 0
      ? a === undefined
      : arity === 1
        ? a !== undefined && b === undefined
        : arity === 2
          ? a !== undefined && b !== undefined && c === undefined
          : arity === 3
            ? a !== undefined && b !== undefined && c !== undefined && d === undefined
            : a !== undefined && b !== undefined && c !== undefined && d !== undefined;
  /** The label values as an array; throws on too few or too many. */
  const labelValuesOf = (a?: string, b?: string, c?: string, d?: string): string[] => {
    const values = [a, b, c, d];
    if (values.slice(0, arity).some((v) => v === undefined) || values.slice(arity).some((v) => v !== undefined))
      throw new Error(`${name}: expected ${arity} label values`);
    return values.slice(0, arity) as string[];
  };
  return {
    name,
    help,
    type,
    labelNames,
    render(scrape, sink) {
      drain(this.renderSteps(scrape, sink));
    },
    *renderSteps(scrape, sink) {
      sink.text(header);
      // Hot path (~100,000 calls a scrape at 5,000 nodes): no arrays, no strings per sample.
      const steps = spec.collect(scrape, (value, a, b, c, d) => {
        if (!arityOk(a, b, c, d)) labelValuesOf(a, b, c, d);
        sink.sample(shape, value, a, b, c, d);
      });
      if (steps) yield* { [Symbol.iterator]: () => steps };
    },
    async get() {
      const values: { value: number; labels: Record<string, string> }[] = [];
      drain(
        spec.collect(current(), (value, a, b, c, d) => {
          const labelValues = labelValuesOf(a, b, c, d);
          values.push({ value, labels: Object.fromEntries(labelNames.map((label, i) => [label, labelValues[i]!])) });
        }),
      );
      return { name, help, type, aggregator: 'sum', values };
    },
    reset() {},
  };
}

/** Registers the family in `registry` (it keeps the registry's order and duplicate-name check). */
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
