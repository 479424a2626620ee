// One error class with a closed code set; errno values are mapped in one place.

export const errorCodes = [
  'INVALID_CONFIG',
  'INVALID_ARGUMENT',
  'DEPENDENCY_MISSING',
  'UNAVAILABLE',
  'PERMISSION_DENIED',
  'NOT_FOUND',
  'TIMEOUT',
  'UNREACHABLE',
  'REFUSED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export class NetsentryError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetsentryError';
    this.code = code;
  }
}

const errnoToCode: Record<string, ErrorCode> = {
  ENOENT: 'NOT_FOUND',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  ECONNREFUSED: 'REFUSED',
  ECONNRESET: 'UNAVAILABLE',
  EHOSTUNREACH: 'UNREACHABLE',
  ENETUNREACH: 'UNREACHABLE',
  ETIMEDOUT: 'TIMEOUT',
  ABORT_ERR: 'TIMEOUT',
};

/** Maps a Node.js system error (errno string in `code`) to a NetsentryError code. */
export function codeFromErrno(err: unknown): ErrorCode {
  const errno = (err as { code?: unknown } | null)?.code;
  if (typeof errno === 'string') return errnoToCode[errno] ?? 'INTERNAL';
  return 'INTERNAL';
}

/** Wraps any thrown value as a NetsentryError, keeping the original as `cause`. */
export function toNetsentryError(err: unknown, message: string): NetsentryError {
  if (err instanceof NetsentryError) return err;
  return new NetsentryError(codeFromErrno(err), `${message}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
