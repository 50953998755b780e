import { describe, expect, it } from 'vitest';
import { looksLikeTransactionId, newTransactionId, TRANSACTION_ID_BYTES } from '../../../src/tracking/transaction-id.js';

describe('newTransactionId', () => {
  it('carries at least 128 random bits, URL-safe without encoding', () => {
    const id = newTransactionId();
    expect(TRANSACTION_ID_BYTES * 8).toBeGreaterThanOrEqual(128);
    expect(Buffer.from(id, 'base64url')).toHaveLength(TRANSACTION_ID_BYTES);
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(encodeURIComponent(id)).toBe(id);
  });

  it('asks the random source for 16 bytes and writes them as base64url', () => {
    const sizes: number[] = [];
    const id = newTransactionId((size) => {
      sizes.push(size);
      return Buffer.alloc(size, 0xfb);
    });
    expect(sizes).toEqual([16]);
    // 0xfb bytes are `+/` territory in plain base64: base64url must give `-_` instead.
    expect(id).toBe(Buffer.alloc(16, 0xfb).toString('base64url'));
    expect(id).not.toMatch(/[+/=]/);
  });

  it('does not repeat across many ids', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newTransactionId()));
    expect(ids.size).toBe(10_000);
  });
});

describe('looksLikeTransactionId', () => {
  it.each([
    [newTransactionId(), true],
    ['AAAAAAAAAAAAAAAAAAAAAA', true],
    ['a-b_c-d_e-f_g-h_i-j_kl', true],
    ['AAAAAAAAAAAAAAAAAAAAA', false],
    ['AAAAAAAAAAAAAAAAAAAAAAA', false],
    ['AAAAAAAAAAAAAAAAAAAA+/', false],
    ['TX-77', false],
    ['', false],
    [undefined, false],
  ])('%j → %s', (text, expected) => {
    expect(looksLikeTransactionId(text)).toBe(expected);
  });
});
