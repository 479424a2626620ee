// Lints Dockerfile.agent, Dockerfile.collector and .dockerignore for what the images must be
// (no container engine here to build them): multi-stage on Node 24, production dependencies
// only, non-root, iproute2 in the agent and nothing more, and a build context that holds every
// file the TypeScript build reaches. scripts/image-layout-smoke.sh runs the resulting layout.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { bin: Record<string, string> };

interface Instruction {
  op: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Stages of a Dockerfile: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const logical = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (op.toUpperCase() === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args)!;
      stages.push({ from: m[1]!, name: m[2], instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ op: op.toUpperCase(), args });
    }
  }
  return stages;
}

/** .dockerignore semantics (moby patternmatcher): last matching pattern wins; a pattern matching a parent directory matches its contents. */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = normalize(negate ? l.slice(1) : l).replace(/^\/+/, '');
      const source = pattern
        .split(/(\*\*\/|\/\*\*$|\*\*|\*|\?)/)
        .map((part) => {
          if (part === '**/') return '(?:.*/)?';
          if (part === '/**') return '(?:/.*)?';
          if (part === '**') return '.*';
          if (part === '*') return '[^/]*';
          if (part === '?') return '[^/]';
          return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (prefixes.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(join(root, path)).isDirectory() ? filesUnder(path) : [path];
  });
}

const isExcluded = dockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
const images = [
  { file: 'Dockerfile.agent', bin: 'netsentry-agent', sources: ['shared/src', 'agent/src'], apt: ['iproute2'] },
  { file: 'Dockerfile.collector', bin: 'netsentry-collector', sources: ['shared/src', 'collector/src', 'cli/src'], apt: [] as string[] },
];

describe.each(images)('$file', ({ file, bin, sources, apt }) => {
  const stages = parseDockerfile(readFileSync(join(root, file), 'utf8'));
  const final = stages.at(-1)!;
  const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.op === 'RUN').map((i) => i.args);
  const copies = (stage: Stage): string[] => stage.instructions.filter((i) => i.op === 'COPY').map((i) => i.args);

  it('is multi-stage on Node 24, the runtime on a Debian slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) expect(s.from).toMatch(/^node:24(-|$)/);
    expect(final.from).toBe('node:24-bookworm-slim');
  });

  it('ships production dependencies only: node_modules comes from the npm ci --omit=dev stage', () => {
    const deps = stages.filter((s) => runs(s).some((r) => /\bnpm ci\b[^|&;]*--omit=dev/.test(r)));
    expect(deps).toHaveLength(1);
    const nodeModules = copies(final).filter((c) => /node_modules/.test(c));
    expect(nodeModules).toEqual([`--from=${deps[0]!.name} /src/node_modules ./node_modules`]);
    // Nothing is installed with npm in the runtime stage.
    expect(runs(final).filter((r) => /\bnpm\b/.test(r))).toEqual([]);
  });

  it('runs the compiled package binary as a non-root numeric user', () => {
    const users = final.instructions.filter((i) => i.op === 'USER').map((i) => i.args);
    expect(users).toEqual(['65534:65534']);
    const entry = final.instructions.find((i) => i.op === 'ENTRYPOINT')!;
    // Node's own flags may sit between node and the script (the agent's: agent/src/node-flags.ts).
    const argv = JSON.parse(entry.args) as string[];
    expect([argv[0], argv.at(-1)]).toEqual(['node', `/app/${pkg.bin[bin]}`]);
    expect(argv.slice(1, -1).every((a) => a.startsWith('--'))).toBe(true);
    // The entry point's directory is copied from the build stage, and package.json for the version.
    expect(copies(final)).toContain(
      `--from=build /src/${pkg.bin[bin]!.split('/').slice(0, 2).join('/')} ./${pkg.bin[bin]!.split('/').slice(0, 2).join('/')}`,
    );
    expect(copies(final)).toContain('--from=build /src/package.json ./');
  });

  it(`installs exactly ${apt.length ? apt.join(', ') : 'no Debian package'} in the runtime stage`, () => {
    const installs = runs(final).flatMap((r) =>
      [...r.matchAll(/apt-get install ([^&|;]*)/g)].map((m) => m[1]!.split(/\s+/).filter((w) => w && !w.startsWith('-'))),
    );
    expect(installs.flat()).toEqual(apt);
    for (const r of runs(final).filter((x) => x.includes('apt-get install'))) {
      expect(r).toContain('--no-install-recommends');
      expect(r).toContain('rm -rf /var/lib/apt/lists/*');
    }
  });

  it('copies only sources the .dockerignore lets into the context, and they reach every import', () => {
    const contextCopies = stages.flatMap(copies).filter((c) => !c.startsWith('--from'));
    const copied = contextCopies.flatMap((c) => c.split(/\s+/).slice(0, -1));
    expect(copied.filter((p) => !existsSync(join(root, p)) || isExcluded(p))).toEqual([]);
    expect(copied).toEqual(expect.arrayContaining(sources));
    // What tsc compiles in the build stage: every non-excluded source under the copied dirs.
    const inContext = sources.flatMap(filesUnder).filter((p) => /\.(ts|js)$/.test(p) && !p.endsWith('.d.ts') && !isExcluded(p));
    const missing: string[] = [];
    for (const path of inContext) {
      const text = readFileSync(join(root, path), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
        const target = relative(root, join(root, dirname(path), m[1]!));
        const candidates = [target, target.replace(/\.js$/, '.ts'), target.replace(/\.js$/, '.d.ts')];
        const reachable = candidates.some((c) => existsSync(join(root, c)) && !isExcluded(c) && sources.some((s) => c.startsWith(`${s}/`)));
        if (!reachable) missing.push(`${path} -> ${m[1]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, dist, .git, tests, charts and lab state out of the context', () => {
    for (const p of [
      'node_modules/x',
      'dist/agent/src/main.js',
      '.git/HEAD',
      'test/lab/lab.ts',
      'charts/netsentry/values.yaml',
      '.lab-state/x',
      'agent/src/kernel/testdata/load.ts',
      'agent/src/main.test.ts',
      'README.md',
    ]) {
      expect(isExcluded(p), p).toBe(true);
    }
    for (const p of [
      'package.json',
      'package-lock.json',
      'tsconfig.build.json',
      'agent/src/main.ts',
      'shared/src/gen/netsentry/v1/probe_pb.js',
    ]) {
      expect(isExcluded(p), p).toBe(false);
    }
  });
});
