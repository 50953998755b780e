import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import { HostGate } from '../../src/delivery/host-gate.js';
import { HostLeaseBlocks } from '../../src/delivery/host-lease-blocks.js';
import { createKeys, type RelayKeys } from '../../src/store/keys.js';
import { uniquePrefix } from '../helpers/relay-harness.js';

/**
 * Lease blocks against real Redis, two "processes" (two HostLeaseBlocks over
 * one gate's keys) sharing a host's cap; time is passed in, and the periodic
 * check is called by hand (its timer is set far beyond a test's length).
 */
let redis: Redis;
beforeAll(() => {
  redis = new Redis({ path: inject('redisUrl').slice('unix://'.length) });
});
afterAll(() => redis?.disconnect());

const HOST = 'trk.example:443';
const opened: HostLeaseBlocks[] = [];
afterEach(async () => {
  for (const blocks of opened.splice(0)) await blocks.close();
});

function setUp(options: { concurrency?: number; leaseMs?: number } = {}) {
  const keys = createKeys(uniquePrefix());
  const gateOptions = { concurrency: 4, failureThreshold: 3, cooldownMs: 1_000, leaseMs: 5_000, ...options };
  const admin = new HostGate(redis, keys, gateOptions);
  const woken: string[] = [];
  const process = () => {
    const gate = new HostGate(redis, keys, gateOptions);
    const blocks = new HostLeaseBlocks(redis, keys, gate, {
      concurrency: gateOptions.concurrency,
      leaseMs: gateOptions.leaseMs,
      checkMs: 60_000,
      wake: async (ids) => void woken.push(...ids),
      onError: (error) => {
        throw error;
      },
    });
    opened.push(blocks);
    return { gate, blocks };
  };
  return { keys, admin, woken, process };
}

/** Leases in the host's set that are alive at `now`: slots held, in use or in a block. */
function leasesAlive(keys: RelayKeys, now: number): Promise<number> {
  return redis.zcount(keys.hostLeases(HOST), now, '+inf');
}

describe('HostLeaseBlocks', () => {
  it('serves a healthy host from a block: one take for a turn of admissions, none for releases or the next ones', async () => {
    const { keys, process } = setUp();
    const a = process();
    // Defined on the client by the first HostLeaseBlocks.
    const scripted = redis as unknown as { relayHostBlockTake: (...args: unknown[]) => Promise<number> };
    const take = vi.spyOn(scripted, 'relayHostBlockTake');
    const admissions = await Promise.all(['d1', 'd2'].map((id) => a.blocks.acquire(HOST, id, 0)));
    expect(admissions).toEqual([{ granted: true }, { granted: true }]);
    expect(take).toHaveBeenCalledTimes(1);
    // Twice what the turn asked for, within the cap.
    expect(await leasesAlive(keys, 0)).toBe(4);
    // Listed by the hosts API, though the gate itself was never asked.
    expect(await a.gate.listHosts()).toEqual([HOST]);

    const gateRelease = vi.spyOn(a.gate, 'release');
    const gateAcquire = vi.spyOn(a.gate, 'acquire');
    expect(await a.blocks.release(HOST, 'd1', 'ok', '', 1)).toEqual({ state: 'closed', wake: [] });
    expect(await a.blocks.acquire(HOST, 'd3', 2)).toEqual({ granted: true });
    expect(await a.blocks.acquire(HOST, 'd4', 2)).toEqual({ granted: true });
    expect(await a.blocks.acquire(HOST, 'd5', 2)).toEqual({ granted: true });
    expect(take).toHaveBeenCalledTimes(1);
    expect(gateRelease).not.toHaveBeenCalled();
    expect(gateAcquire).not.toHaveBeenCalled();
    take.mockRestore();
  });

  it('keeps the cap across processes: the other one parks, and is woken when the block is given back', async () => {
    const { keys, admin, woken, process } = setUp();
    const a = process();
    const b = process();
    await Promise.all(['a1', 'a2'].map((id) => a.blocks.acquire(HOST, id, 0)));
    expect(await leasesAlive(keys, 0)).toBe(4);
    expect(await b.blocks.acquire(HOST, 'b1', 1)).toEqual({ granted: false, reason: 'host_busy' });
    expect(await admin.isParked(HOST, 'b1')).toBe(true);

    // A's check sees a delivery parked: the host is no longer clean, so A gives back its free
    // slots (two) and wakes as many parked deliveries as they make room for.
    await a.blocks.check(2);
    expect(woken).toEqual(['b1']);
    expect(await leasesAlive(keys, 2)).toBe(2);
    expect(await admin.isParked(HOST, 'b1')).toBe(false);
    // Nothing parked any more: B's block takes what A gave back.
    expect(await b.blocks.acquire(HOST, 'b1', 3)).toEqual({ granted: true });
    expect(await leasesAlive(keys, 3)).toBe(4);
    // A's slots in use go back through the gate now that its block is not clean.
    const release = vi.spyOn(a.gate, 'release');
    await a.blocks.release(HOST, 'a1', 'ok', '', 4);
    expect(release).toHaveBeenCalledTimes(1);
    expect(await leasesAlive(keys, 4)).toBe(3);
  });

  it('gives back, at the next check, a slot released while a check was running (no lease left behind)', async () => {
    const { keys, process } = setUp();
    const a = process();
    const b = process();
    await Promise.all(['a1', 'a2'].map((id) => a.blocks.acquire(HOST, id, 0)));
    await b.blocks.acquire(HOST, 'b1', 1); // parked: A's next check finds the host not clean
    const checking = a.blocks.check(2);
    await a.blocks.release(HOST, 'a1', 'ok', '', 2);
    await checking;
    // The two free slots A held went back; a1's slot, freed during the check, is still A's.
    expect(await leasesAlive(keys, 2)).toBe(2);
    await a.blocks.check(3);
    expect(await leasesAlive(keys, 3)).toBe(1);
  });

  it("shares a host's cap between workers: a block shrinks to its share at its check when another worker asks", async () => {
    const { keys, process } = setUp();
    const a = process();
    const b = process();
    const burst = await Promise.all(['a1', 'a2', 'a3', 'a4'].map((id) => a.blocks.acquire(HOST, id, 0)));
    expect(burst.every((admission) => admission.granted)).toBe(true);
    for (const id of ['a2', 'a3', 'a4']) await a.blocks.release(HOST, id, 'ok', '', 1);
    // Alone, A held the whole cap; B asking makes two owners, so a share is two slots.
    expect(await b.blocks.acquire(HOST, 'b1', 2, { park: false })).toEqual({ granted: false, reason: 'host_busy' });
    await a.blocks.check(3);
    // A keeps its slot in use and one free; the other two go back.
    expect(await leasesAlive(keys, 3)).toBe(2);
    expect(await b.blocks.acquire(HOST, 'b1', 4, { park: false })).toEqual({ granted: true });
    expect(await b.blocks.acquire(HOST, 'b2', 4, { park: false })).toEqual({ granted: true });
    expect(await leasesAlive(keys, 4)).toBe(4);
    // A still serves from its block (one free slot), with no call to the gate.
    const gateAcquire = vi.spyOn(a.gate, 'acquire');
    expect(await a.blocks.acquire(HOST, 'a5', 5)).toEqual({ granted: true });
    expect(gateAcquire).not.toHaveBeenCalled();
  });

  it('counts a failure at once, and asks the gate per delivery until a check finds the host clean', async () => {
    const { admin, process } = setUp();
    const a = process();
    await a.blocks.acquire(HOST, 'd1', 0);
    const released = await a.blocks.release(HOST, 'd1', 'fail', 'HTTP 503', 1);
    expect(released.state).toBe('closed');
    expect((await admin.status(HOST, 1)).consecutiveFailures).toBe(1);

    const gateAcquire = vi.spyOn(a.gate, 'acquire');
    expect(await a.blocks.acquire(HOST, 'd2', 2)).toEqual({ granted: true });
    expect(gateAcquire).toHaveBeenCalledTimes(1);
    // Its success goes to the gate too, which counts the failures from zero again.
    await a.blocks.release(HOST, 'd2', 'ok', '', 3);
    expect((await admin.status(HOST, 3)).consecutiveFailures).toBe(0);
    await a.blocks.check(4);
    gateAcquire.mockClear();
    expect(await a.blocks.acquire(HOST, 'd3', 5)).toEqual({ granted: true });
    expect(gateAcquire).not.toHaveBeenCalled();
  });

  it('opens the circuit from failures in blocks as the gate alone would', async () => {
    const { admin, process } = setUp();
    const a = process();
    await Promise.all(['f1', 'f2', 'f3'].map((id) => a.blocks.acquire(HOST, id, 0)));
    for (const id of ['f1', 'f2', 'f3']) await a.blocks.release(HOST, id, 'fail', 'timeout', 10);
    expect((await admin.status(HOST, 10)).state).toBe('open');
    expect(await a.blocks.acquire(HOST, 'f4', 20)).toMatchObject({ granted: false, reason: 'circuit_open' });
  });

  it('stops serving a host paused elsewhere from its next check on', async () => {
    const { admin, process } = setUp();
    const a = process();
    await a.blocks.acquire(HOST, 'd1', 0);
    await a.blocks.release(HOST, 'd1', 'ok', '', 1);
    await admin.setPaused(HOST, true);
    await a.blocks.check(2);
    expect(await a.blocks.acquire(HOST, 'd2', 3)).toEqual({ granted: false, reason: 'paused' });
    expect(await admin.isParked(HOST, 'd2')).toBe(true);
  });

  it('gives an idle block back, and renews the leases of a used one', async () => {
    const { keys, process } = setUp({ leaseMs: 1_000 });
    const a = process();
    await a.blocks.acquire(HOST, 'd1', 0);
    await a.blocks.release(HOST, 'd1', 'ok', '', 1);
    // Used since the last look: kept, its leases pushed past their first expiry.
    await a.blocks.check(500);
    expect(await leasesAlive(keys, 1_200)).toBe(2);
    // Unused since: given back.
    await a.blocks.check(900);
    expect(await leasesAlive(keys, 900)).toBe(0);
  });

  it('drops a block whose leases expired (the process stalled) instead of renewing it over the cap', async () => {
    const { keys, process } = setUp({ concurrency: 2, leaseMs: 100 });
    const a = process();
    const b = process();
    await a.blocks.acquire(HOST, 'a1', 0);
    await a.blocks.release(HOST, 'a1', 'ok', '', 1);
    // A's two leases are dead at 150. A is still an owner (its entry outlives a lease here), so
    // B's block is its share of the cap: one slot.
    expect(await b.blocks.acquire(HOST, 'b1', 150)).toEqual({ granted: true });
    expect(await leasesAlive(keys, 150)).toBe(1);
    // A's check finds its leases gone and renews none of them over the cap.
    await a.blocks.check(160);
    expect(await leasesAlive(keys, 160)).toBe(1);
    // Its block stopped, A asks the gate, which has one slot left under the cap.
    const gateAcquire = vi.spyOn(a.gate, 'acquire');
    expect(await a.blocks.acquire(HOST, 'a2', 170)).toEqual({ granted: true });
    expect(gateAcquire).toHaveBeenCalledTimes(1);
    expect(await leasesAlive(keys, 170)).toBe(2);
  });
});
