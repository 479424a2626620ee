import { describe, expect, it } from 'vitest';
import { junkFramesArgv, maxNoiseFrames } from './link-noise.ts';

describe('junk frames for a link drop counter', () => {
  it('sends a bounded number of frames of an EtherType no handler takes', () => {
    const argv = junkFramesArgv('n2', '0A:58:C6:12:02:01', 600, 50);
    expect(argv.slice(0, 2)).toEqual(['python3', '-c']);
    expect(argv[2]).toContain('0x88, 0xb5');
    expect(argv.slice(3)).toEqual(['n2', '0a:58:c6:12:02:01', '600', '50']);
  });

  it('refuses unbounded or malformed requests', () => {
    expect(() => junkFramesArgv('n2', '0a:58:c6:12:02:01', maxNoiseFrames + 1, 50)).toThrow(/frame count/);
    expect(() => junkFramesArgv('n2', '0a:58:c6:12:02:01', 10, 0)).toThrow(/rate/);
    expect(() => junkFramesArgv('n2; rm', '0a:58:c6:12:02:01', 10, 10)).toThrow(/device/);
    expect(() => junkFramesArgv('n2', 'ff:ff', 10, 10)).toThrow(/MAC/);
  });
});
