// Loads captured iproute2 output (see ../../../README.md for how it was captured).
import { readFileSync } from 'node:fs';

export function loadTestdata(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8');
}
