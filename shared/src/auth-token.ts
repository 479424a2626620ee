// Bearer tokens for agent authentication: the token file format, the metadata header, and a
// constant-time check. Both sides read the same format; the agent sends the first token.
import { createHash, timingSafeEqual } from 'node:crypto';

export const authorizationHeader = 'authorization';
export const minTokenLength = 16;
const maxTokenLength = 4096;
const maxTokens = 64;

/**
 * One token per line, so a file can hold the old and the new token during a rotation.
 * Blank lines and lines starting with '#' are ignored; surrounding whitespace is trimmed.
 * Throws an Error with a plain reason when the file holds no usable token.
 */
export function parseTokenFile(text: string): string[] {
  const tokens: string[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `line ${index + 1}`;
    // Visible ASCII only: the token travels in an HTTP/2 header.
    if (!/^[\x21-\x7e]+$/.test(line)) throw new Error(`${where}: a token may hold only visible ASCII characters, no spaces`);
    if (line.length < minTokenLength)
      throw new Error(`${where}: token is ${line.length} characters, at least ${minTokenLength} are needed (e.g. openssl rand -hex 32)`);
    if (line.length > maxTokenLength) throw new Error(`${where}: token is longer than ${maxTokenLength} characters`);
    tokens.push(line);
  }
  if (tokens.length === 0) throw new Error('holds no token (one token per line; blank lines and # comments are ignored)');
  if (tokens.length > maxTokens) throw new Error(`holds ${tokens.length} tokens, at most ${maxTokens} are allowed`);
  return tokens;
}

export const bearer = (token: string): string => `Bearer ${token}`;

/** The token in an `authorization: Bearer <token>` value, or undefined when it is not one. */
export function parseBearer(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer +(\S+)\s*$/i.exec(value);
  return match?.[1];
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export interface TokenVerifier {
  /** True when `presented` equals one of the accepted tokens. */
  verify(presented: string | undefined): boolean;
}

/**
 * Compares SHA-256 digests with timingSafeEqual: equal lengths whatever the input, so the
 * time taken says nothing about the token's length or how much of it matched. Every accepted
 * token is compared, with no early exit.
 */
export function createTokenVerifier(accepted: readonly string[]): TokenVerifier {
  const digests = accepted.map(digest);
  return {
    verify: (presented) => {
      const candidate = digest(presented ?? '');
      let ok = false;
      for (const expected of digests) ok = timingSafeEqual(candidate, expected) || ok;
      return ok && presented !== undefined;
    },
  };
}
