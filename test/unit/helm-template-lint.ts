// Checks of Helm templates that need no helm binary: action syntax, block balance, the names a
// template refers to, and a line-based "skeleton" render of the chart's simple template subset
// (one action per line for control flow) so the YAML structure can be parsed and inspected.
import YAML from 'yaml';

export interface TemplateAction {
  /** Action text between the delimiters, trim markers and surrounding spaces removed. */
  body: string;
  /** 1-based line of the opening delimiter. */
  line: number;
}

/** Finds every {{ … }} action; an unclosed action, a nested opener or a stray closer is an error. */
export function scanActions(source: string): { actions: TemplateAction[]; errors: string[] } {
  const actions: TemplateAction[] = [];
  const errors: string[] = [];
  let i = 0;
  const lineAt = (offset: number): number => source.slice(0, offset).split('\n').length;
  while (i < source.length) {
    const open = source.indexOf('{{', i);
    const strayClose = source.indexOf('}}', i);
    if (strayClose !== -1 && (open === -1 || strayClose < open)) {
      errors.push(`line ${lineAt(strayClose)}: "}}" without "{{"`);
    }
    if (open === -1) break;
    const close = source.indexOf('}}', open + 2);
    if (close === -1) {
      errors.push(`line ${lineAt(open)}: "{{" never closed`);
      break;
    }
    const nested = source.indexOf('{{', open + 2);
    if (nested !== -1 && nested < close) errors.push(`line ${lineAt(nested)}: "{{" inside another action`);
    const body = source
      .slice(open + 2, close)
      .replace(/^-\s/, '')
      .replace(/\s-$/, '')
      .trim();
    actions.push({ body, line: lineAt(open) });
    i = close + 2;
  }
  return { actions, errors };
}

const blockOpeners = /^(if|range|with|define|block)\b/;

/** if/range/with/define/block each closed by one end; else only inside a block. */
export function checkBlockBalance(actions: TemplateAction[]): string[] {
  const errors: string[] = [];
  const stack: TemplateAction[] = [];
  for (const action of actions) {
    if (action.body.startsWith('/*')) continue;
    if (blockOpeners.test(action.body)) stack.push(action);
    else if (/^else\b/.test(action.body) && stack.length === 0) errors.push(`line ${action.line}: else outside a block`);
    else if (action.body === 'end' && !stack.pop()) errors.push(`line ${action.line}: end without a block`);
  }
  for (const open of stack) errors.push(`line ${open.line}: "${open.body}" never ended`);
  return errors;
}

const isComment = (a: TemplateAction): boolean => a.body.startsWith('/*');

/** Every .Values.a.b path the actions use (comments excluded). */
export function valuesPaths(actions: TemplateAction[]): string[] {
  const out = new Set<string>();
  for (const a of actions.filter((x) => !isComment(x))) {
    for (const m of a.body.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)) out.add(m[1]!.slice(1));
  }
  return [...out];
}

export function includedNames(actions: TemplateAction[]): string[] {
  return actions.filter((a) => !isComment(a)).flatMap((a) => [...a.body.matchAll(/\b(?:include|template)\s+"([^"]+)"/g)].map((m) => m[1]!));
}

export function definedNames(actions: TemplateAction[]): string[] {
  return actions.flatMap((a) => [...a.body.matchAll(/^define\s+"([^"]+)"/g)].map((m) => m[1]!));
}

export function filesGetPaths(actions: TemplateAction[]): string[] {
  return actions.filter((a) => !isComment(a)).flatMap((a) => [...a.body.matchAll(/\.Files\.Get\s+"([^"]+)"/g)].map((m) => m[1]!));
}

/** Value at a dotted path, or undefined; `exists` tells a present null/"" from a missing key. */
export function lookupPath(root: unknown, path: string): { exists: boolean; value: unknown } {
  let node: unknown = root;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return { exists: false, value: undefined };
    node = (node as Record<string, unknown>)[key];
  }
  return { exists: true, value: node };
}

/** Go template truth: false, 0, nil, "" and empty collections are false. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

/** Evaluates the simple conditions the chart uses; undefined when the condition is not one of them. */
function evaluateCondition(expr: string, values: unknown): boolean | undefined {
  let m = /^\.Values\.([\w.]+)$/.exec(expr);
  if (m) return truthy(lookupPath(values, m[1]!).value);
  m = /^not \.Values\.([\w.]+)$/.exec(expr);
  if (m) return !truthy(lookupPath(values, m[1]!).value);
  m = /^(eq|ne) \.Values\.([\w.]+) "([^"]*)"$/.exec(expr);
  if (m) return (lookupPath(values, m[2]!).value === m[3]) === (m[1] === 'eq');
  // `and`/`or` over operands of the forms above, each either bare `.Values.x` or parenthesised.
  m = /^(and|or) (.+)$/.exec(expr);
  if (m) {
    const operands = m[2]!.match(/\([^()]+\)|[^\s()]+/g) ?? [];
    const results = operands.map((o) => evaluateCondition(o.replace(/^\((.*)\)$/, '$1'), values));
    if (results.length < 2 || results.some((r) => r === undefined)) return undefined;
    return m[1] === 'and' ? results.every(Boolean) : results.some(Boolean);
  }
  return undefined;
}

interface Frame {
  kind: 'if' | 'with' | 'range' | 'define' | 'block';
  /** This branch is emitted. */
  active: boolean;
  /** Known outcome of the condition (undefined: not evaluated, both branches kept). */
  known: boolean | undefined;
  /** `with` value, for `toYaml .`. */
  dot?: unknown;
}

export interface SkeletonOptions {
  /** Evaluate simple if/with conditions against these values and substitute `toYaml .Values.x` / `toYaml .` inside a with. */
  values?: unknown;
  /** Define bodies (extractDefines); with values, `include "x" . | nindent N` on its own line is expanded from them. */
  defines?: Map<string, string>;
}

/** Bodies of the {{ define "name" }} blocks of a helpers file (lines between the define and its end). */
export function extractDefines(source: string): Map<string, string> {
  const defines = new Map<string, string>();
  let current: { name: string; lines: string[] } | undefined;
  let depth = 0;
  for (const line of source.split('\n')) {
    const bodies = [...line.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)].map((m) => m[1]!.replace(/^-\s*/, '').trim());
    const define = bodies.map((b) => /^define\s+"([^"]+)"/.exec(b)).find(Boolean);
    if (!current && define) {
      current = { name: define[1]!, lines: [] };
      depth = 1;
      continue;
    }
    if (!current) continue;
    for (const b of bodies) {
      if (blockOpeners.test(b)) depth++;
      else if (b === 'end') depth--;
    }
    if (depth === 0) {
      defines.set(current.name, current.lines.join('\n'));
      current = undefined;
      continue;
    }
    current.lines.push(line);
  }
  return defines;
}

/**
 * Line-based render of a template for structure checks. Control actions must stand alone on
 * their line. Without values every branch is kept and every output action becomes a
 * placeholder; with values, simple conditions are decided and toYaml of values is inlined.
 * Inline output actions become the scalar TPL. Returns the YAML text and the problems found.
 */
export function renderSkeleton(source: string, options: SkeletonOptions = {}): { text: string; errors: string[] } {
  const lines = source.split('\n');
  const out: string[] = [];
  const errors: string[] = [];
  const stack: Frame[] = [];
  const emitting = (): boolean => stack.every((f) => f.active);
  const actionRe = /\{\{-?\s*([\s\S]*?)\s*-?\}\}/g;
  // With values, `.Values.x` and `.Values.x | quote` print the value; anything else prints TPL.
  const inlineValue = (body: string): string => {
    const m = /^\.Values\.([\w.]+)( \| quote)?$/.exec(body);
    if (!m || options.values === undefined) return 'TPL';
    const { exists, value } = lookupPath(options.values, m[1]!);
    if (!exists || (value !== null && typeof value === 'object')) return 'TPL';
    return m[2] ? JSON.stringify(String(value ?? '')) : String(value ?? '');
  };

  const nextContentStartsWithDash = (from: number, indent: number): boolean => {
    for (let j = from; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.replace(actionRe, '').trim() === '' && !/\|\s*nindent/.test(l)) continue;
      const ind = l.length - l.trimStart().length;
      const t = l.trimStart();
      if (/^\{\{/.test(t) && /\|\s*nindent\s+(\d+)/.test(l)) {
        const n = Number(/\|\s*nindent\s+(\d+)/.exec(l)![1]);
        if (n === indent) continue;
        return false;
      }
      return ind === indent && t.startsWith('- ');
    }
    return false;
  };
  const previousContentStartsWithDash = (indent: number): boolean => {
    for (let j = out.length - 1; j >= 0; j--) {
      const l = out[j]!;
      const ind = l.length - l.trimStart().length;
      if (ind < indent) return false;
      if (ind === indent) return l.trimStart().startsWith('- ');
    }
    return false;
  };

  lines.forEach((line, index) => {
    const bodies = [...line.matchAll(actionRe)].map((m) => m[1]!.replace(/^-\s*/, '').replace(/\s*-$/, '').trim());
    const actionOnly = bodies.length > 0 && line.replace(actionRe, '').trim() === '';
    if (!actionOnly) {
      if (bodies.some((b) => blockOpeners.test(b) || b === 'end' || /^else\b/.test(b))) {
        errors.push(`line ${index + 1}: control action inside a content line`);
      }
      if (emitting()) out.push(line.replace(actionRe, (_all, body: string) => inlineValue(body.replace(/^-\s*/, '').replace(/\s*-$/, '').trim())));
      return;
    }
    for (const body of bodies) {
      if (body.startsWith('/*')) continue;
      const opener = /^(if|range|with|define|block)\s+(.*)$/.exec(body);
      if (opener) {
        const kind = opener[1] as Frame['kind'];
        const expr = opener[2]!.trim();
        let known: boolean | undefined;
        let dot: unknown;
        if (options.values !== undefined && (kind === 'if' || kind === 'with')) {
          known = evaluateCondition(expr, options.values);
          const withPath = /^\.Values\.([\w.]+)$/.exec(expr);
          if (kind === 'with' && withPath) dot = lookupPath(options.values, withPath[1]!).value;
        }
        stack.push({ kind, active: known !== false && kind !== 'define', known, dot });
        continue;
      }
      if (/^else\b/.test(body)) {
        const top = stack.at(-1);
        if (!top) errors.push(`line ${index + 1}: else outside a block`);
        else top.active = top.known === undefined ? true : !top.known;
        continue;
      }
      if (body === 'end') {
        if (!stack.pop()) errors.push(`line ${index + 1}: end without a block`);
        continue;
      }
      if (!emitting()) continue;
      // Variable declarations and assignments print nothing.
      if (/^\$\w*\s*:?=/.test(body)) continue;
      const nindent = /\|\s*nindent\s+(\d+)$/.exec(body);
      if (!nindent) {
        out.push(line.replace(actionRe, 'TPL'));
        continue;
      }
      const indent = Number(nindent[1]);
      const pad = ' '.repeat(indent);
      const included = /^include "([^"]+)" \. \|/.exec(body);
      const defineBody = included && options.values !== undefined ? options.defines?.get(included[1]!) : undefined;
      if (defineBody !== undefined) {
        const inner = renderSkeleton(defineBody, options);
        errors.push(...inner.errors.map((e) => `${included![1]}: ${e}`));
        for (const l of inner.text.split('\n')) if (l.trim() !== '') out.push(pad + l);
        continue;
      }
      if (options.values !== undefined) {
        const fromValues = /^toYaml \.Values\.([\w.]+) \|/.exec(body);
        const fromDot = /^toYaml \. \|/.test(body) ? stack.findLast((f) => f.kind === 'with' && f.dot !== undefined) : undefined;
        const value = fromValues ? lookupPath(options.values, fromValues[1]!).value : fromDot?.dot;
        if (value !== undefined) {
          for (const l of YAML.stringify(value).trimEnd().split('\n')) out.push(pad + l);
          continue;
        }
      }
      const seq = nextContentStartsWithDash(index + 1, indent) || previousContentStartsWithDash(indent);
      out.push(seq ? `${pad}- TPL` : `${pad}__tpl_${index + 1}: TPL`);
    }
  });
  for (const f of stack) errors.push(`"${f.kind}" never ended`);
  return { text: out.join('\n'), errors };
}
