// The Helm chart's metadata, values schema and values documentation. The schema is checked
// twice: by ajv (what editors and this test use) and by the real helm (Go RE2 patterns), and
// the two must agree. Rendering is tested in chart-render.test.ts and chart-defaults.test.ts.
import { Ajv } from 'ajv';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { createHelmRunner } from '../helm/helm.ts';

const root = join(import.meta.dirname, '..', '..');
const chart = join(root, 'charts', 'netsentry');
const read = (path: string): string => readFileSync(join(chart, path), 'utf8');
const values = YAML.parse(read('values.yaml')) as Record<string, unknown>;
const schema = JSON.parse(read('values.schema.json')) as Record<string, unknown>;
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
const temp = mkdtempSync(join(tmpdir(), 'netsentry-chart-schema-'));
afterAll(() => {
  helm.close();
  rmSync(temp, { recursive: true, force: true });
});

function lookupPath(node: unknown, path: string): { exists: boolean } {
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || Array.isArray(node) || !(key in node)) return { exists: false };
    node = (node as Record<string, unknown>)[key];
  }
  return { exists: true };
}

/** Every "pattern" in a JSON schema, with where it sits. */
function patterns(node: unknown, at = '#'): Array<[string, string]> {
  if (node === null || typeof node !== 'object') return [];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    k === 'pattern' && typeof v === 'string' ? [[`${at}/pattern`, v] as [string, string]] : patterns(v, `${at}/${k}`),
  );
}

/** `helm lint` of a one-property chart whose schema holds only this pattern: helm compiles it with Go's RE2. */
async function helmAcceptsPattern(pattern: string, index: number): Promise<{ ok: boolean; output: string }> {
  const dir = join(temp, `pattern-${index}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: pattern\nversion: 0.1.0\n');
  writeFileSync(join(dir, 'values.yaml'), '{}\n');
  writeFileSync(
    join(dir, 'values.schema.json'),
    JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { v: { type: 'string', pattern } } }),
  );
  const r = await helm.helm(['lint', dir]);
  return { ok: r.code === 0, output: r.stdout + r.stderr };
}

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

describe('Chart.yaml', () => {
  it('is apiVersion v2 with appVersion equal to package.json version', () => {
    const meta = YAML.parse(read('Chart.yaml')) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(meta.apiVersion).toBe('v2');
    expect(meta.name).toBe('netsentry');
    expect(meta.appVersion).toBe(pkg.version);
  });
});

describe('values.schema.json', () => {
  it('is draft-07 and closed at the top level', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.additionalProperties).toBe(false);
  });
  it('accepts the default values.yaml', () => {
    const validate = validator();
    expect(validate(values), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...values, auth: { ...(values.auth as object), token: 'x'.repeat(16) } })).toBe(true);
  });
  const bad: Array<[string, (v: any) => void]> = [
    ['unknown top-level key', (v) => (v.replicas = 3)],
    ['unknown nested key', (v) => (v.hostAgent.hostNetwork = false)],
    ['probe port as string', (v) => (v.agent.probePort = '7946')],
    ['probe port out of range', (v) => (v.agent.probePort = 70000)],
    ['unknown tls mode', (v) => (v.tls.mode = 'on')],
    ['added capability', (v) => (v.agent.securityContext.capabilities.add = ['NET_ADMIN'])],
    ['privilege escalation', (v) => (v.collector.securityContext.allowPrivilegeEscalation = true)],
    ['root allowed', (v) => (v.agent.podSecurityContext.runAsNonRoot = false)],
    ['uid 0', (v) => (v.agent.securityContext.runAsUser = 0)],
    ['bad duration', (v) => (v.agent.probeInterval = '5 seconds')],
    ['bad CIDR', (v) => (v.networkPolicy.grpcFromCidrs = ['10.0.0.0'])],
    ['token shorter than the binaries accept', (v) => (v.auth.token = 'short-token')],
    ['token longer than the binaries accept', (v) => (v.auth.token = 'x'.repeat(4097))],
    ['token with a space', (v) => (v.auth.token = 'sixteen chars ok')],
  ];
  it.each(bad)('ajv and helm both reject: %s', async (_what, mutate) => {
    const copy = structuredClone(values);
    mutate(copy);
    expect(validator()(copy)).toBe(false);
    const { code, stdout } = await helm.lint(copy);
    expect(code, stdout).not.toBe(0);
    expect(stdout).toContain("values don't meet the specifications of the schema");
  });
  it('ajv and helm both accept a 16- and a 4096-character token and global values', async () => {
    for (const v of [
      { auth: { token: '!'.repeat(16) } },
      { auth: { token: '~'.repeat(4096) } },
      { global: { imageRegistry: 'r.example' } },
    ]) {
      expect(validator()({ ...values, ...v, auth: { ...(values.auth as object), ...v.auth } })).toBe(true);
      const { code, stdout } = await helm.lint(v);
      expect(code, stdout).toBe(0);
    }
  });
});

describe('values.schema.json patterns are Go RE2 (helm refuses the whole chart otherwise)', () => {
  const all = patterns(schema);
  it('has patterns to check', () => expect(all.length).toBeGreaterThan(5));
  it.each(all.map(([at, p], i) => [at, p, i] as const))('%s compiles in helm: %s', async (_at, pattern, i) => {
    const { ok, output } = await helmAcceptsPattern(pattern, i);
    expect(ok, output).toBe(true);
  });
  it('the check fails for a pattern JavaScript accepts and RE2 does not (repeat count over 1000)', async () => {
    const pattern = '^([!-~]{16,4096})?$';
    expect(() => new RegExp(pattern)).not.toThrow();
    const { ok, output } = await helmAcceptsPattern(pattern, all.length);
    expect(ok).toBe(false);
    expect(output).toContain('pattern must be a valid regex');
  });
});

/** Leaf keys of values.yaml: recursion stops where the schema stops listing properties (free-form maps, lists, scalars). */
function documentedLeafPaths(node: unknown, schemaNode: any, prefix: string): string[] {
  // Shared definitions ($ref: resources, security contexts, tolerations) are documented as one value.
  const s = schemaNode?.$ref ? undefined : schemaNode;
  const closed = s?.additionalProperties === false && s?.properties;
  if (!closed || node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) =>
    documentedLeafPaths(v, s.properties[k], prefix ? `${prefix}.${k}` : k),
  );
}

describe('README values table', () => {
  const readme = read('README.md');
  const tableKeys = [...readme.matchAll(/^\| `([^`]+)` \| ([^|]+) \| ([^|]*) \| ([^|]+) \|$/gm)].map((m) => m[1]!);
  const leaves = documentedLeafPaths(values, schema, '');

  it('documents every values key with type, default and description', () => {
    expect(leaves.length).toBeGreaterThan(50);
    expect(leaves.filter((k) => !tableKeys.includes(k))).toEqual([]);
  });
  it('documents no key values.yaml lacks', () => {
    expect(tableKeys.filter((k) => !lookupPath(values, k).exists)).toEqual([]);
  });
  it('says what helm verifies here and what is not verified (a live cluster)', () => {
    expect(readme).toMatch(/helm lint --strict/);
    expect(readme).toMatch(/not verified here/i);
    expect(readme).toMatch(/live cluster/i);
    expect(readme).not.toMatch(/no `helm` binary/i);
  });
});
