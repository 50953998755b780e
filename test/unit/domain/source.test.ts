import { describe, expect, it } from 'vitest';
import { sourceMayReach } from '../../../src/domain/source.js';

describe('sourceMayReach', () => {
  it('lets a source without a list reach any account (as before lists existed)', () => {
    expect(sourceMayReach({}, 'anyone')).toBe(true);
    expect(sourceMayReach({ default_account: 'mine' }, 'anyone')).toBe(true);
  });

  it('lets a source with a list reach only the listed accounts and its default', () => {
    const source = { default_account: 'mine', accounts: ['a', 'b'] };
    expect(['mine', 'a', 'b', 'c', 'A', ''].map((account) => sourceMayReach(source, account))).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('reads an empty list as "only the default account"', () => {
    expect(sourceMayReach({ default_account: 'mine', accounts: [] }, 'mine')).toBe(true);
    expect(sourceMayReach({ default_account: 'mine', accounts: [] }, 'other')).toBe(false);
    expect(sourceMayReach({ accounts: [] }, 'other')).toBe(false);
  });

  it('reads "*" as any account', () => {
    expect(sourceMayReach({ default_account: 'mine', accounts: ['*'] }, 'other')).toBe(true);
    expect(sourceMayReach({ accounts: ['a', '*'] }, 'other')).toBe(true);
  });
});
