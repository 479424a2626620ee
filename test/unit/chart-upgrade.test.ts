// What `helm upgrade` depends on, checked without a cluster: the same values render the same
// objects (generated Secrets keep their names; pod templates do not change, so an upgrade with
// unchanged values restarts nothing), and no values variant changes an immutable selector.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { chartVariants, createVariantRenderer, namespace } from '../helm/chart-variants.ts';
import { chartDir, createHelmRunner, type Rendered } from '../helm/helm.ts';
import { volatileLabels } from '../helm/pod-checks.ts';

type Obj = Record<string, any>;
const helm = createHelmRunner();
// Each case runs helm (0.3–1 s each, more on a loaded machine).
vi.setConfig({ testTimeout: 60_000 });
afterAll(() => helm.close());
const { render } = createVariantRenderer(helm);
const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
/** Kinds whose spec.selector the API server refuses to change after creation. */
const immutableSelectorKinds = new Set(['Deployment', 'DaemonSet', 'StatefulSet', 'ReplicaSet', 'Job']);

describe('rendering twice (what `lookup` keeps stable on upgrade)', () => {
  it('gives the same objects; only generated Secret data differs, and those Secrets keep their names', async () => {
    const values = { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, grafanaDashboard: { enabled: true } };
    const [first, second] = [await helm.template(values), await helm.template(values)];
    expect(second.map((r) => key(r.obj))).toEqual(first.map((r) => key(r.obj)));
    const secrets = first.filter((r) => r.obj.kind === 'Secret').map((r) => r.obj.metadata.name);
    expect(secrets).toEqual(['netsentry-agent-token', 'netsentry-collector-tls']);
    const without = (objs: Rendered[]) => objs.map((r) => (r.obj.kind === 'Secret' ? { ...r.obj, data: undefined } : r.obj));
    expect(without(second)).toEqual(without(first));
    // Without a cluster `lookup` finds nothing, so the generated token and CA are new each time:
    // the proof that this test would see a difference if one leaked into a pod template.
    const token = (objs: Rendered[]) => objs.find((r) => r.obj.metadata.name === 'netsentry-agent-token')!.obj.data.token;
    expect(token(second)).not.toBe(token(first));
  });

  it('a pod template carries no generated value (checksums hash the values, not the Secrets)', async () => {
    const objs = await render('defaults');
    const generated = objs.filter((r) => r.obj.kind === 'Secret').flatMap((r) => Object.values(r.obj.data as Record<string, string>));
    for (const w of objs.filter((r) => r.obj.spec?.template)) {
      const text = JSON.stringify(w.obj.spec.template);
      for (const g of generated) expect(text.includes(g), `${w.obj.metadata.name} holds a generated Secret value`).toBe(false);
    }
  });
});

describe('selectors are immutable: no values variant changes one', () => {
  it.each(Object.keys(chartVariants).filter((v) => v !== 'defaults' && !chartVariants[v]!.release))(
    '%s keeps every selector of the defaults',
    async (variant) => {
      const selectors = (objs: Rendered[]) =>
        new Map(objs.filter((r) => immutableSelectorKinds.has(r.obj.kind)).map((r) => [key(r.obj), r.obj.spec.selector]));
      const base = selectors(await render('defaults'));
      const other = selectors(await render(variant));
      expect(other.size).toBeGreaterThan(0);
      for (const [name, selector] of other) if (base.has(name)) expect(selector, name).toEqual(base.get(name));
    },
  );

  it('selectors hold no label that changes with the chart or app version', async () => {
    for (const r of await render('defaults')) {
      const selector = r.obj.spec?.selector?.matchLabels;
      if (selector) for (const l of volatileLabels) expect(Object.keys(selector)).not.toContain(l);
    }
  });

  it('a chart version bump changes labels but no selector', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'netsentry-chart-bump-'));
    try {
      cpSync(chartDir, dir, { recursive: true });
      const meta = join(dir, 'Chart.yaml');
      writeFileSync(
        meta,
        readFileSync(meta, 'utf8')
          .replace(/^version: .*$/m, 'version: 9.9.9')
          .replace(/^appVersion: .*$/m, 'appVersion: "9.9.9"'),
      );
      const bumped = await helm.template({}, { chart: dir, namespace });
      const base = await render('defaults');
      const dep = (objs: Rendered[]) => objs.find((r) => r.obj.kind === 'Deployment')!.obj;
      expect(dep(bumped).metadata.labels['helm.sh/chart']).toBe('netsentry-9.9.9');
      expect(dep(bumped).spec.selector).toEqual(dep(base).spec.selector);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
