import { describe, expect, it } from 'vitest';
import { bearerToken, tokenMatcher } from '../../../src/auth/token-auth.js';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer   abc  ', 'abc'],
    ['Bearer\tabc', 'abc'],
  ])('reads %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it.each([[undefined], [''], ['Basic abc'], ['Bearerabc'], ['Token abc']])('finds no bearer token in %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('tokenMatcher', () => {
  const match = tokenMatcher({ admin: 'admin-token-0123456789', viewer: 'viewer-token-0123456789' });

  it('tells the kind of a matching token', () => {
    expect(match('admin-token-0123456789')).toBe('admin');
    expect(match('viewer-token-0123456789')).toBe('viewer');
  });

  it('matches nothing else, not a prefix, not empty', () => {
    for (const presented of ['', 'admin-token-012345678', 'admin-token-0123456789 ', 'viewer', 'x'.repeat(1000)]) {
      expect(match(presented), presented).toBeUndefined();
    }
  });

  it('never matches an empty admin token or an absent viewer token', () => {
    const adminOnly = tokenMatcher({ admin: '' });
    expect(adminOnly('')).toBeUndefined();
    expect(adminOnly('anything')).toBeUndefined();
  });
});
