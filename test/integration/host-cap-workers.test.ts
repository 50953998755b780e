import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRelay } from '../helpers/relay-harness.js';
import { sendAlternating, startTwoWorkers } from '../helpers/routes.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * A tracker host's cap holds across workers with lease blocks on (the
 * default): two relays on one Redis, each leasing blocks of the host's
 * slots, never have more attempts in flight at the tracker together than
 * the cap, and every conversion arrives.
 */
const CAP = 4;
const CONVERSIONS = 60;

let tracker: Tracker;
let relays: TestRelay[];
let inFlight = 0;
let mostInFlight = 0;

beforeAll(async () => {
  tracker = await startTracker();
  tracker.respond((_hit, res) => {
    inFlight += 1;
    mostInFlight = Math.max(mostInFlight, inFlight);
    setTimeout(() => {
      inFlight -= 1;
      res.end('OK');
    }, 25);
  });
  // A check every 100 ms: the blocks are renewed, re-read and shared several times during the run.
  relays = await startTwoWorkers({ delivery: { hostConcurrency: CAP, hostLeaseCheckMs: 100 } }, tracker.origin, 'cap-key-1');
});

afterAll(async () => {
  await Promise.all((relays ?? []).map((relay) => relay.close()));
  await tracker?.close();
});

describe("a host's cap across workers, with lease blocks", () => {
  it('never exceeds the cap at the tracker, uses all of it, and delivers everything', async () => {
    await sendAlternating(relays, 'cap-key-1', CONVERSIONS, 'cap');
    const hits = await tracker.waitForHits(CONVERSIONS, 30_000);
    expect(new Set(hits.map((hit) => hit.query.get('cid'))).size).toBe(CONVERSIONS);
    expect(mostInFlight).toBeLessThanOrEqual(CAP);
    expect(mostInFlight).toBe(CAP);
  }, 40_000);
});
