import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { HostGate } from '../../src/delivery/host-gate.js';
import { createKeys } from '../../src/store/keys.js';
import { uniquePrefix } from '../helpers/relay-harness.js';

/** The gate's scripts against real Redis, with time passed in so cooldowns and leases are exact. */
let redis: Redis;
beforeAll(() => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
});
afterAll(() => redis?.disconnect());

function gate(options: Partial<{ concurrency: number; failureThreshold: number; cooldownMs: number; leaseMs: number }> = {}) {
  return new HostGate(redis, createKeys(uniquePrefix()), {
    concurrency: 2,
    failureThreshold: 3,
    cooldownMs: 1_000,
    leaseMs: 5_000,
    ...options,
  });
}

const HOST = 'trk.example:443';

describe('HostGate', () => {
  it('grants up to the cap, parks the rest in order, and hands them back as slots free', async () => {
    const g = gate();
    expect(await g.acquire(HOST, 'd1', 0)).toEqual({ granted: true });
    expect(await g.acquire(HOST, 'd2', 0)).toEqual({ granted: true });
    expect(await g.acquire(HOST, 'd3', 1)).toEqual({ granted: false, reason: 'host_busy' });
    expect(await g.acquire(HOST, 'd4', 2)).toEqual({ granted: false, reason: 'host_busy' });
    expect((await g.status(HOST, 3)).parked).toBe(2);
    // Asking again for a delivery that holds a slot is granted (a re-run after a crash).
    expect(await g.acquire(HOST, 'd1', 3)).toEqual({ granted: true });
    const released = await g.release(HOST, 'd1', 'ok', '', 4);
    expect(released).toEqual({ state: 'closed', wake: ['d3'] });
    expect(await g.acquire(HOST, 'd3', 5)).toEqual({ granted: true });
    expect((await g.status(HOST, 5)).parked).toBe(1);
  });

  it('does not park a caller that will ask again (park: false)', async () => {
    const g = gate({ concurrency: 1 });
    await g.acquire(HOST, 'a', 0);
    expect(await g.acquire(HOST, 'b', 0, { park: false })).toEqual({ granted: false, reason: 'host_busy' });
    expect(await g.isParked(HOST, 'b')).toBe(false);
    expect((await g.release(HOST, 'a', 'ok', '', 1)).wake).toEqual([]);
  });

  it('gives back the slot of a crashed worker once its lease expires', async () => {
    const g = gate({ concurrency: 1, leaseMs: 100 });
    await g.acquire(HOST, 'crashed', 0);
    expect((await g.acquire(HOST, 'next', 50)).granted).toBe(false);
    expect(await g.acquire(HOST, 'next', 150)).toEqual({ granted: true });
  });

  it('opens after consecutive failures, lets one probe through after the cooldown, and closes on success', async () => {
    const g = gate({ concurrency: 5 });
    for (const id of ['f1', 'f2']) {
      await g.acquire(HOST, id, 0);
      expect((await g.release(HOST, id, 'fail', 'HTTP 503', 10)).state).toBe('closed');
    }
    await g.acquire(HOST, 'f3', 20);
    expect(await g.release(HOST, 'f3', 'fail', 'timeout', 30)).toEqual({ state: 'open', openedUntil: 1_030, wake: [] });
    expect(await g.acquire(HOST, 'w1', 40)).toEqual({ granted: false, reason: 'circuit_open', probeAt: 1_030 });
    const status = await g.status(HOST, 50);
    expect(status).toMatchObject({ state: 'open', consecutiveFailures: 3, lastError: 'timeout', parked: 1, probeAt: 1_030 });
    // Cooldown over: exactly one probe; others keep waiting.
    expect(await g.acquire(HOST, 'w1', 1_100)).toEqual({ granted: true });
    expect((await g.acquire(HOST, 'w2', 1_101)).granted).toBe(false);
    expect((await g.status(HOST, 1_102)).state).toBe('half_open');
    const closed = await g.release(HOST, 'w1', 'ok', '', 1_200);
    expect(closed).toEqual({ state: 'closed', wake: ['w2'] });
    expect((await g.status(HOST, 1_201)).consecutiveFailures).toBe(0);
  });

  it('reopens when the probe fails, and lets another probe go when the probe worker died', async () => {
    const g = gate({ failureThreshold: 1, leaseMs: 100 });
    await g.acquire(HOST, 'f', 0);
    await g.release(HOST, 'f', 'fail', 'refused', 1);
    await g.acquire(HOST, 'probe1', 2_000);
    expect(await g.release(HOST, 'probe1', 'fail', 'refused', 2_010)).toEqual({ state: 'open', openedUntil: 3_010, wake: [] });
    expect(await g.acquire(HOST, 'probe2', 3_100)).toEqual({ granted: true });
    // probe2's worker dies: its lease expires, the circuit is still half-open, and the next one probes.
    expect((await g.acquire(HOST, 'probe3', 3_150)).granted).toBe(false);
    expect(await g.acquire(HOST, 'probe3', 3_300)).toEqual({ granted: true });
  });

  it('parks everything while paused and wakes nothing until resumed', async () => {
    const g = gate();
    await g.setPaused(HOST, true);
    expect(await g.acquire(HOST, 'p1', 0)).toEqual({ granted: false, reason: 'paused' });
    expect((await g.status(HOST, 1)).paused).toBe(true);
    await g.setPaused(HOST, false);
    expect(await g.takeParked(HOST, 5)).toEqual(['p1']);
    expect(await g.acquire(HOST, 'p1', 2)).toEqual({ granted: true });
    expect(await g.listHosts()).toEqual([HOST]);
  });

  it('serves the admissions and releases of one event-loop turn in one script call each, in order', async () => {
    const g = gate({ concurrency: 2 });
    // The scripts are defined on the client the gate was given: count the calls made through it.
    const scripted = redis as unknown as Record<
      'relayHostAcquire' | 'relayHostRelease',
      (...args: unknown[]) => Promise<unknown>
    >;
    const acquireCalls = vi.spyOn(scripted, 'relayHostAcquire');
    const releaseCalls = vi.spyOn(scripted, 'relayHostRelease');
    await g.acquire(HOST, 'warm', 0); // the host is known before counting
    await g.release(HOST, 'warm', 'ok', '', 0);
    acquireCalls.mockClear();
    releaseCalls.mockClear();
    const admissions = await Promise.all(['b1', 'b2', 'b3', 'b4'].map((id) => g.acquire(HOST, id, 1)));
    expect(admissions).toEqual([
      { granted: true },
      { granted: true },
      { granted: false, reason: 'host_busy' },
      { granted: false, reason: 'host_busy' },
    ]);
    const releases = await Promise.all(['b1', 'b2'].map((id) => g.release(HOST, id, 'ok', '', 2)));
    // The first release of the batch carries the wake-ups, once: both parked deliveries, oldest first.
    expect(releases).toEqual([
      { state: 'closed', wake: ['b3', 'b4'] },
      { state: 'closed', wake: [] },
    ]);
    expect(acquireCalls).toHaveBeenCalledTimes(1);
    expect(releaseCalls).toHaveBeenCalledTimes(1);
    acquireCalls.mockRestore();
    releaseCalls.mockRestore();
  });

  it('decides the admissions of one call in order on the state it reads once: one probe, the rest parked, a holder granted again', async () => {
    const g = gate({ concurrency: 5, failureThreshold: 1 });
    await g.acquire(HOST, 'f', 0);
    await g.release(HOST, 'f', 'fail', 'HTTP 500', 10);
    // Cooldown over (probe at 1,010): in one call the first ask probes, the circuit is then half-open for the others.
    const admissions = await Promise.all(['p1', 'p2', 'p1', 'p3'].map((id) => g.acquire(HOST, id, 1_100)));
    expect(admissions).toEqual([
      { granted: true },
      { granted: false, reason: 'circuit_open', probeAt: 1_010 },
      { granted: true },
      { granted: false, reason: 'circuit_open', probeAt: 1_010 },
    ]);
    expect(await g.status(HOST, 1_101)).toMatchObject({ state: 'half_open', inFlight: 1, parked: 2 });
    // The probe succeeds: closed, and the parked ones come back oldest first.
    expect(await g.release(HOST, 'p1', 'ok', '', 1_200)).toEqual({ state: 'closed', wake: ['p2', 'p3'] });
    expect(await g.status(HOST, 1_201)).toMatchObject({ state: 'closed', consecutiveFailures: 0, inFlight: 0, parked: 0 });
  });

  it('opens the circuit from failures released together, and reports the probe time once', async () => {
    const g = gate({ concurrency: 5, failureThreshold: 3 });
    await Promise.all(['x1', 'x2', 'x3'].map((id) => g.acquire(HOST, id, 0)));
    const releases = await Promise.all(['x1', 'x2', 'x3'].map((id) => g.release(HOST, id, 'fail', 'HTTP 502', 10)));
    expect(releases).toEqual([
      { state: 'open', openedUntil: 1_010, wake: [] },
      { state: 'open', wake: [] },
      { state: 'open', wake: [] },
    ]);
  });
});
