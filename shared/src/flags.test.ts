import { describe, expect, it } from 'vitest';
import { parseDuration, parseFlags, validateHostPort, type FlagSpecs } from './flags.ts';

const specs = {
  collector: { type: 'string', description: 'collector address', required: true, validate: validateHostPort },
  network: { type: 'string', description: 'network', default: 'host', choices: ['host', 'pod'] },
  'verify-interval': { type: 'duration', description: 'period', default: '30s' },
  'pod-cidr': { type: 'list', description: 'pod CIDRs' },
  debug: { type: 'boolean', description: 'debug', default: 'false' },
} as const satisfies FlagSpecs;

describe('parseFlags', () => {
  it('reads flags, env and defaults, flags winning', () => {
    const out = parseFlags('x', specs, ['--collector', '192.0.2.1:7000', '--debug'], {
      NETSENTRY_VERIFY_INTERVAL: '2s',
      NETSENTRY_NETWORK: 'pod',
    });
    expect(out.kind).toBe('flags');
    if (out.kind !== 'flags') return;
    expect(out.flags.collector).toBe('192.0.2.1:7000');
    expect(out.flags.network).toBe('pod');
    expect(out.flags.verifyInterval).toBe(2000);
    expect(out.flags.debug).toBe(true);
    expect(out.flags.podCidr).toBeUndefined();
    expect(Object.isFrozen(out.flags)).toBe(true);
  });
  it('rejects unknown flags, bad choices and missing required flags clearly', () => {
    expect(() => parseFlags('x', specs, ['--collector=a:1', '--bogus'], {})).toThrow(/unknown flag --bogus/);
    expect(() => parseFlags('x', specs, ['--collector=a:1', '--network', 'moon'], {})).toThrow(/--network: must be one of host, pod/);
    expect(() => parseFlags('x', specs, [], {})).toThrow(/--collector is required \(or set NETSENTRY_COLLECTOR\)/);
    expect(() => parseFlags('x', specs, ['--collector', 'nohost'], {})).toThrow(/HOST:PORT/);
  });
  it('parses lists and prints help', () => {
    const out = parseFlags('x', specs, ['--collector=a:1', '--pod-cidr', '198.18.1.0/24, 198.18.9.0/24'], {});
    expect(out.kind === 'flags' && out.flags.podCidr).toEqual(['198.18.1.0/24', '198.18.9.0/24']);
    const help = parseFlags('x', specs, ['--help'], {});
    expect(help.kind === 'help' && help.text).toContain('NETSENTRY_POD_CIDR');
  });
  it('parses durations', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('soon')).toBeUndefined();
  });
});
