import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON logs to stdout; components log through child loggers (`{component: 'overlay'}`). */
export function createLogger(options: { name: string; level?: LevelWithSilent; destination?: NodeJS.WritableStream }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['token', '*.token', 'authorization', '*.authorization'], censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** A logger that drops everything, for unit tests. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
