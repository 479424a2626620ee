// test/images runs the images with podman flags meant to be the chart's container security
// context; this keeps the two in step: a change to the chart's securityContext fails here
// until the image test applies the same.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartSecurityFlags } from '../images/podman.ts';

const root = join(import.meta.dirname, '..', '..');
const values = parse(readFileSync(join(root, 'charts/netsentry/values.yaml'), 'utf8')) as Record<
  string,
  { securityContext: Record<string, unknown> }
>;

/** The flags podman needs for a Kubernetes container securityContext (the fields the chart sets). */
function podmanFlagsFor(context: Record<string, unknown>): string[] {
  const flags: string[] = [];
  expect(Object.keys(context).sort()).toEqual([
    'allowPrivilegeEscalation',
    'capabilities',
    'privileged',
    'readOnlyRootFilesystem',
    'runAsGroup',
    'runAsNonRoot',
    'runAsUser',
    'seccompProfile',
  ]);
  expect(context.runAsNonRoot).toBe(true);
  expect(context.privileged).toBe(false);
  flags.push('--user', `${String(context.runAsUser)}:${String(context.runAsGroup)}`);
  // Only /tmp is writable: the chart mounts an emptyDir there.
  if (context.readOnlyRootFilesystem === true)
    flags.push('--read-only', '--read-only-tmpfs=false', '--tmpfs', '/tmp:rw,size=16m,mode=1777');
  const capabilities = context.capabilities as { drop?: string[]; add?: string[] };
  expect(capabilities.add ?? []).toEqual([]);
  for (const cap of capabilities.drop ?? []) flags.push('--cap-drop', cap);
  if (context.allowPrivilegeEscalation === false) flags.push('--security-opt', 'no-new-privileges');
  // RuntimeDefault is what podman applies when no seccomp option is given.
  expect(context.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  return flags;
}

describe('the image test runs containers with the chart security context', () => {
  for (const component of ['agent', 'collector']) {
    it(`${component}: podman flags match charts/netsentry/values.yaml`, () => {
      expect([...chartSecurityFlags]).toEqual(podmanFlagsFor(values[component]!.securityContext));
    });
  }
});
