import { describe, expect, it } from 'vitest';
import { bearer, createTokenVerifier, parseBearer, parseTokenFile } from './auth-token.ts';

const a = 'a'.repeat(32);
const b = 'b1b2b3b4b5b6b7b8b9';

describe('parseTokenFile', () => {
  it('reads one token per line, ignoring blank lines, comments and surrounding whitespace (CRLF too)', () => {
    expect(parseTokenFile(`# rotation: new first\r\n  ${a}  \r\n\r\n${b}\n`)).toEqual([a, b]);
  });

  it('refuses a file without a token', () => {
    expect(() => parseTokenFile('\n# nothing here\n   \n')).toThrow(/holds no token/);
  });

  it('refuses a short token and says how to make a good one', () => {
    expect(() => parseTokenFile('short-token\n')).toThrow(/line 1: token is 11 characters, at least 16.*openssl rand/);
  });

  it('refuses whitespace inside a token and non-ASCII', () => {
    expect(() => parseTokenFile(`${a}\nabc def ghi jkl mno\n`)).toThrow(/line 2: .*visible ASCII/);
    expect(() => parseTokenFile('tökentökentökentöken')).toThrow(/visible ASCII/);
  });
});

describe('parseBearer', () => {
  it('takes the token out of an authorization value', () => {
    expect(parseBearer(bearer(a))).toBe(a);
    expect(parseBearer(`bearer ${a}`)).toBe(a);
  });

  it('returns undefined for anything else', () => {
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer(Buffer.from(a))).toBeUndefined();
    expect(parseBearer(`Basic ${a}`)).toBeUndefined();
    expect(parseBearer('Bearer ')).toBeUndefined();
    expect(parseBearer(`Bearer ${a} extra`)).toBeUndefined();
  });
});

describe('createTokenVerifier', () => {
  const verifier = createTokenVerifier([a, b]);

  it('accepts every listed token (old and new during a rotation)', () => {
    expect(verifier.verify(a)).toBe(true);
    expect(verifier.verify(b)).toBe(true);
  });

  it('refuses a different token, a prefix, a longer one, an empty one and none', () => {
    expect(verifier.verify('c'.repeat(32))).toBe(false);
    expect(verifier.verify(a.slice(0, 31))).toBe(false);
    expect(verifier.verify(`${a}a`)).toBe(false);
    expect(verifier.verify('')).toBe(false);
    expect(verifier.verify(undefined)).toBe(false);
  });

  it('refuses everything when nothing is accepted', () => {
    expect(createTokenVerifier([]).verify('')).toBe(false);
  });
});
