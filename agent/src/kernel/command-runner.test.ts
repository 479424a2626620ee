import { describe, expect, it } from 'vitest';
import { NetsentryError } from '../../../shared/src/errors.ts';
import { checkBinaries, createCommandRunner, missingBinaryMessage, type CommandRunner } from './command-runner.ts';

// Output through an unlinked temp file (the default), through a pipe, and through a pipe
// after the output directory turned out unusable: the same behaviour.
describe.each([
  ['file', undefined],
  ['pipe', ''],
  ['unusable directory', '/nonexistent-netsentry-dir'],
])('createCommandRunner (output via %s)', (_how, outputDir) => {
  const runner = createCommandRunner({ timeoutMs: 2000, ...(outputDir !== undefined ? { outputDir } : {}) });

  it('returns stdout', async () => {
    expect(await runner.run(['ip', '-V'])).toMatch(/iproute2/);
  });

  it('writes input to stdin', async () => {
    expect(await runner.run(['cat'], undefined, 'addr show\n')).toBe('addr show\n');
  });

  it('turns a missing binary into DEPENDENCY_MISSING with the package to install', async () => {
    await expect(runner.run(['netsentry-no-such-binary'])).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message: "'netsentry-no-such-binary' not found on PATH",
    });
    expect(missingBinaryMessage('ip')).toBe("'ip' (iproute2) not found on PATH; install iproute2");
  });

  it('reports a failing command with its first stderr line', async () => {
    await expect(runner.run(['ip', 'link', 'show', 'dev', 'nsl-no-such-dev'])).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(/^'ip link show dev nsl-no-such-dev' failed: Device "nsl-no-such-dev" does not exist/),
    });
  });

  it('times out', async () => {
    const slow = createCommandRunner({ timeoutMs: 50, ...(outputDir !== undefined ? { outputDir } : {}) });
    await expect(slow.run(['sleep', '5'])).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('honours an abort signal', async () => {
    await expect(runner.run(['sleep', '5'], AbortSignal.timeout(30))).rejects.toMatchObject({
      code: 'TIMEOUT',
      message: "'sleep 5' was aborted",
    });
  });

  it('reads a large output whole (more than a pipe buffer)', async () => {
    const input = `${'x'.repeat(99)}\n`.repeat(3000);
    expect(await runner.run(['cat'], undefined, input)).toBe(input);
  });

  it('reports output above maxBuffer', async () => {
    const small = createCommandRunner({ timeoutMs: 2000, maxBufferBytes: 10, ...(outputDir !== undefined ? { outputDir } : {}) });
    await expect(small.run(['ip', '-V'])).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});

describe('checkBinaries', () => {
  it('returns versions when all binaries are present', async () => {
    const found = await checkBinaries(createCommandRunner({ timeoutMs: 2000 }), ['ip', 'bridge']);
    expect(found.map((f) => f.binary)).toEqual(['ip', 'bridge']);
    expect(found[0]?.version).toMatch(/iproute2/);
  });

  it('names every missing binary in one error', async () => {
    const fake: CommandRunner = {
      run: async (argv) => {
        throw new NetsentryError('DEPENDENCY_MISSING', `'${argv[0]}' gone`);
      },
    };
    await expect(checkBinaries(fake, ['ip', 'bridge'])).rejects.toMatchObject({
      code: 'DEPENDENCY_MISSING',
      message: "'ip' (iproute2) not found on PATH; install iproute2; 'bridge' (iproute2) not found on PATH; install iproute2",
    });
  });
});
