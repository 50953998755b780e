import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { Ledger, type AttemptRecord, type DeliveryRecord } from '../../src/store/ledger.js';
import { createKeys } from '../../src/store/keys.js';
import type { Conversion } from '../../src/domain/conversion.js';
import { uniquePrefix } from '../helpers/relay-harness.js';

/** The ledger's record format and batched writes against real Redis. */
let redis: Redis;
beforeAll(() => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
});
afterAll(() => redis?.disconnect());

const conversion = (id: string): Conversion => ({ id, source: 'net', event: 'sale', click_id: `c-${id}`, received_at: 1_000 });
const delivery = (conversionId: string, index: number): DeliveryRecord => ({
  id: `${conversionId}.${index}`,
  conversionId,
  account: 'acct',
  url: `https://trk.example/pb?cid=c-${conversionId}&key=secret`,
  host: 'trk.example',
  state: 'pending',
  attempts: 0,
  roundAttempts: 0,
  createdAt: 1_000,
  updatedAt: 1_000,
});
const attempt = (n: number, outcome: AttemptRecord['outcome'], status: number): AttemptRecord => ({
  attempt: n,
  at: new Date(1_000 + n).toISOString(),
  url: 'https://trk.example/pb?cid=x&key=***',
  outcome,
  status,
  latency_ms: 3,
  body: 'OK',
});

describe('Ledger', () => {
  it('writes the records of one turn in one script call, each readable whole', async () => {
    const ledger = new Ledger(redis, createKeys(uniquePrefix()), {
      retentionMs: 60_000,
      maxAttemptsPerDelivery: 10,
      maxIndexEntries: 1_000,
    });
    const writes = vi.spyOn(
      redis as unknown as { relayLedgerWrite: (...args: unknown[]) => Promise<unknown> },
      'relayLedgerWrite',
    );
    await Promise.all(
      ['k1', 'k2', 'k3'].map((id) => {
        const sent = { ...delivery(id, 0), state: 'delivered' as const, attempts: 1, roundAttempts: 1 };
        return ledger.saveRouted(
          conversion(id),
          'global',
          [sent, delivery(id, 1)],
          new Map([[sent.id, attempt(1, 'delivered', 200)]]),
        );
      }),
    );
    expect(writes).toHaveBeenCalledTimes(1);
    writes.mockRestore();
    for (const id of ['k1', 'k2', 'k3']) {
      const record = await ledger.getConversion(id);
      expect(record).toMatchObject({
        conversion: conversion(id),
        routing: 'routed',
        level: 'global',
        deliveryIds: [`${id}.0`, `${id}.1`],
      });
      const [sent, parked] = await ledger.getDeliveries(record!.deliveryIds);
      expect(sent).toMatchObject({ id: `${id}.0`, conversionId: id, state: 'delivered', attempts: 1 });
      expect(parked).toMatchObject({ id: `${id}.1`, state: 'pending', attempts: 0 });
      // The stored attempt carries no URL: it is its delivery's, shown redacted.
      expect(await ledger.getAttempts(`${id}.0`)).toEqual([
        { ...attempt(1, 'delivered', 200), url: 'https://trk.example/pb?cid=c-' + id + '&key=***' },
      ]);
      expect(await ledger.getAttempts(`${id}.1`)).toEqual([]);
    }
  });

  it('adds a late attempt to a delivery that moved on, without taking its state back', async () => {
    const keys = createKeys(uniquePrefix());
    const ledger = new Ledger(redis, keys, { retentionMs: 60_000, maxAttemptsPerDelivery: 10, maxIndexEntries: 1_000 });
    const base = { ...delivery('late1', 0), state: 'retrying' as const, attempts: 1, roundAttempts: 1, nextAttemptAt: 1_500 };
    await ledger.saveRouted(conversion('late1'), 'global', [base], new Map([[base.id, attempt(1, 'retry', 500)]]));
    expect(await redis.zscore(keys.unsettledDeliveries, base.id)).toBe('1500');
    // Another worker delivered it meanwhile …
    await ledger.recordAttempt(base, attempt(2, 'delivered', 200), { state: 'delivered', at: 3_000 });
    expect(await redis.zscore(keys.unsettledDeliveries, base.id)).toBeNull();
    // … then the attempt Redis refused earlier lands, made from the same starting point.
    await ledger.recordAttempt(
      base,
      attempt(2, 'retry', 500),
      { state: 'retrying', at: 2_000, nextAttemptAt: 2_500 },
      { late: true },
    );
    const after = await ledger.getDelivery(base.id);
    expect(after).toMatchObject({ state: 'delivered', attempts: 3 });
    expect((await ledger.getAttempts(base.id)).map((a) => a.status)).toEqual([500, 200, 500]);
    expect(await redis.zscore(keys.unsettledDeliveries, base.id)).toBeNull();
  });

  it('appends attempts of one turn in order and keeps only the newest', async () => {
    const keys = createKeys(uniquePrefix());
    const ledger = new Ledger(redis, keys, { retentionMs: 60_000, maxAttemptsPerDelivery: 3, maxIndexEntries: 1_000 });
    const pending = delivery('r1', 0);
    await ledger.saveRouted(conversion('r1'), 'global', [pending]);
    const next = { state: 'retrying' as const, at: 2_000, nextAttemptAt: 3_000 };
    await Promise.all([1, 2, 3, 4].map((n) => ledger.recordAttempt(pending, attempt(n, 'retry', 500), next)));
    expect((await ledger.getAttempts('r1.0')).map((a) => a.attempt)).toEqual([2, 3, 4]);
    const ttl = await redis.pttl(keys.conversion('r1'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it("writes one turn's search index entries in one script call: click ids with their expiry, old entries trimmed", async () => {
    const keys = createKeys(uniquePrefix());
    const ledger = new Ledger(redis, keys, { retentionMs: 60_000, maxAttemptsPerDelivery: 10, maxIndexEntries: 1_000 });
    const now = Date.now();
    // An entry past retention, left from long ago: the trim (one turn in TRIM_EVERY, forced here) removes it.
    await redis.zadd(keys.conversionsByTime, now - 120_000, 'old');
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    const script = vi.spyOn(redis as unknown as { relaySearchIndexAdd: () => Promise<number> }, 'relaySearchIndexAdd');
    try {
      const recent = (id: string, clickId: string): Conversion => ({
        ...conversion(id),
        click_id: clickId,
        received_at: now,
        offer_id: 'o1',
      });
      await Promise.all([
        ledger.saveRouted(recent('s1', 'same-click'), 'global', [delivery('s1', 0)]),
        ledger.saveRouted(recent('s2', 'same-click'), 'global', [delivery('s2', 0)]),
        ledger.saveRouted(recent('s3', 'other'), 'global', [delivery('s3', 0)]),
      ]);
    } finally {
      random.mockRestore();
    }
    expect(script).toHaveBeenCalledTimes(1);
    script.mockRestore();
    expect(await redis.zrange(keys.conversionsByClick('same-click'), 0, -1)).toEqual(['s1', 's2']);
    expect(await redis.pttl(keys.conversionsByClick('other'))).toBeGreaterThan(50_000);
    expect(await redis.zrange(keys.conversionsByTime, 0, -1)).toEqual(['s1', 's2', 's3']);
    expect(await redis.zrange(keys.conversionsBySource('net'), 0, -1)).toEqual(['s1', 's2', 's3']);
    expect(await redis.zrange(keys.conversionsByOffer('o1'), 0, -1)).toEqual(['s1', 's2', 's3']);
    expect(await redis.pttl(keys.conversionsBySource('net'))).toBeGreaterThan(50_000);
  });
});
