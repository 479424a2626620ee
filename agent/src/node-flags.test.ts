import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { agentNodeFlags } from './node-flags.ts';

const repoFile = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('agentNodeFlags', () => {
  it('are the flags of the package bin (the shebang of main.ts)', () => {
    const shebang = repoFile('agent/src/main.ts').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${agentNodeFlags.join(' ')}`);
  });

  it("are the flags of Dockerfile.agent's ENTRYPOINT (which the Helm chart runs)", () => {
    const entrypoint = /^ENTRYPOINT (.+)$/m.exec(repoFile('Dockerfile.agent'))?.[1];
    expect(JSON.parse(entrypoint ?? '[]')).toEqual(['node', ...agentNodeFlags, '/app/dist/agent/src/main.js']);
  });

  it('are flags node accepts', () => {
    for (const flag of agentNodeFlags) expect(process.allowedNodeEnvironmentFlags.has(flag.split('=')[0]!)).toBe(true);
  });
});
