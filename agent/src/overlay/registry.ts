// Overlay backends registered by name; an unknown name fails at start-up with a clear message.
import { NetsentryError } from '../../../shared/src/errors.ts';
import type { OverlayBackend } from './backend.ts';
import { flannelHostGwBackend } from './flannel-host-gw.ts';
import { flannelVxlanBackend } from './flannel-vxlan.ts';
import { noneBackend } from './none.ts';
import type { OverlayOverride } from './self-description.ts';

const backends: ReadonlyMap<string, OverlayBackend> = new Map(
  [flannelVxlanBackend, flannelHostGwBackend, noneBackend].map((b) => [b.name, b]),
);

/** Every value --overlay accepts; 'auto' means "detect with describeSelf()". */
export const overlayNames: readonly OverlayOverride[] = ['auto', 'flannel-vxlan', 'flannel-host-gw', 'none'];

function unknown(name: string): NetsentryError {
  return new NetsentryError('INVALID_CONFIG', `unknown overlay kind '${name}'; known: ${overlayNames.join(', ')}`);
}

/** Validates the --overlay flag once at start-up. */
export function parseOverlayName(name: string): OverlayOverride {
  const found = overlayNames.find((n) => n === name);
  if (!found) throw unknown(name);
  return found;
}

/**
 * The backend for a resolved kind: pass `self.overlay.kind` from describeSelf(), which has
 * already turned 'auto' into a concrete kind.
 */
export function getOverlayBackend(name: string): OverlayBackend {
  const backend = backends.get(name);
  if (backend) return backend;
  if (name === 'auto')
    throw new NetsentryError('INVALID_ARGUMENT', "overlay kind 'auto' is resolved by describeSelf(); pass self.overlay.kind");
  throw unknown(name);
}
