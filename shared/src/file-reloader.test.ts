import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NetsentryError } from './errors.ts';
import { createFileReloader } from './file-reloader.ts';
import { createSilentLogger, type Logger } from './logger.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'netsentry-reload-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const parseNumber = ([text]: readonly Buffer[]): number => {
  const value = Number(text!.toString().trim());
  if (!Number.isInteger(value)) throw new Error('not a number');
  return value;
};

const recordingLogger = (): { logger: Logger; errors: string[] } => {
  const errors: string[] = [];
  const logger = createSilentLogger();
  logger.error = ((_obj: unknown, msg: string) => void errors.push(msg)) as typeof logger.error;
  return { logger, errors };
};

describe('createFileReloader', () => {
  it('fails at start with INVALID_CONFIG naming the file when it is missing or does not parse', async () => {
    const path = join(dir, 'value');
    expect(() =>
      createFileReloader({ what: 'test file', paths: [path], parse: parseNumber, intervalMs: 60_000, logger: createSilentLogger() }),
    ).toThrow(/test file .*value does not exist/);
    await writeFile(path, 'x');
    try {
      createFileReloader({ what: 'test file', paths: [path], parse: parseNumber, intervalMs: 60_000, logger: createSilentLogger() });
      expect.unreachable();
    } catch (err) {
      expect((err as NetsentryError).code).toBe('INVALID_CONFIG');
      expect((err as Error).message).toMatch(/test file .*value: not a number/);
    }
  });

  it('picks up a change, keeps the last good value on a bad one and logs each problem once', async () => {
    const path = join(dir, 'value');
    await writeFile(path, '1');
    const { logger, errors } = recordingLogger();
    const seen: number[] = [];
    const reloader = createFileReloader({
      what: 'test file',
      paths: [path],
      parse: parseNumber,
      onChange: (v) => seen.push(v),
      intervalMs: 60_000,
      logger,
    });
    try {
      expect(reloader.current()).toBe(1);
      await reloader.check();
      expect(seen).toEqual([]);
      await writeFile(path, '2');
      await reloader.check();
      expect(reloader.current()).toBe(2);
      await writeFile(path, 'garbage');
      await reloader.check();
      await reloader.check();
      expect(reloader.current()).toBe(2);
      expect(errors).toEqual(['test file: new version rejected: not a number; keeping the previous version']);
      await rm(path);
      await reloader.check();
      expect(reloader.current()).toBe(2);
      expect(errors[1]).toMatch(/cannot read \(ENOENT/);
      await writeFile(path, '3');
      await reloader.check();
      expect(reloader.current()).toBe(3);
      expect(seen).toEqual([2, 3]);
    } finally {
      reloader.close();
    }
  });
});
