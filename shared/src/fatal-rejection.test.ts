import { describe, expect, it } from 'vitest';
import { onUnhandledRejection } from './fatal-rejection.ts';

describe('onUnhandledRejection', () => {
  it('logs the reason as one JSON line and exits 1', () => {
    const lines: string[] = [];
    const codes: number[] = [];
    onUnhandledRejection(
      'netsentry-agent',
      (code) => codes.push(code),
      (line) => lines.push(line),
    )(new Error('boom'));
    onUnhandledRejection(
      'netsentry-agent',
      (code) => codes.push(code),
      (line) => lines.push(line),
    )('plain');
    expect(codes).toEqual([1, 1]);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'fatal', name: 'netsentry-agent', err: { message: 'boom' } });
    expect(JSON.parse(lines[1]!).err.message).toBe('plain');
  });
});
