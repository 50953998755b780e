import { describe, expect, it } from 'vitest';
import { createKeyMatcher, hashKey, keyMatches } from '../../../src/auth/source-key.js';

describe('createKeyMatcher', () => {
  const stored = hashKey('network-key-1');

  it('answers as keyMatches does, for the same key presented again and again', () => {
    const matches = createKeyMatcher();
    for (const presented of ['network-key-1', 'network-key-2', '', 'network-key-1', 'network-key-2', 'network-key-1']) {
      expect(matches(presented, stored)).toBe(keyMatches(presented, stored));
    }
    expect(matches('network-key-1', stored)).toBe(true);
    expect(matches('network-key-1', hashKey('another source'))).toBe(false);
  });

  it('does not take a presented key spelt like the stored digest for the digest', () => {
    const matches = createKeyMatcher();
    expect(matches('network-key-1', stored)).toBe(true);
    // The stored digest's own text as a key: its entry must be the digest of that text, not the digest itself.
    expect(matches(stored, stored)).toBe(false);
    expect(matches(`s:${stored}`, stored)).toBe(false);
  });

  it('stays right once sprayed keys have pushed the remembered ones out', () => {
    const matches = createKeyMatcher(8);
    expect(matches('network-key-1', stored)).toBe(true);
    for (let index = 0; index < 100; index++) expect(matches(`guess-${index}`, stored)).toBe(false);
    expect(matches('network-key-1', stored)).toBe(true);
    expect(matches('guess-3', stored)).toBe(false);
  });
});
