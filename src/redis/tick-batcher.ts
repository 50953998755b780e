import type { RedisClient } from './connection.js';
import { withTurnWritesCoalesced } from './turn-writes.js';

/**
 * The batchers with calls waiting, flushed together in one `setImmediate`
 * per turn, so what they send leaves together (see turn-writes.ts).
 * Process-wide, as the event loop is: relays sharing a process share turns.
 */
const dueFlushes: Array<() => void> = [];
let flushScheduled = false;

function flushDue(): void {
  flushScheduled = false;
  withTurnWritesCoalesced(() => {
    for (const flush of dueFlushes.splice(0)) flush();
  });
}

function scheduleFlush(flush: () => void): void {
  dueFlushes.push(flush);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushDue);
  }
}

/**
 * Gathers the calls made during one turn of the event loop and serves them
 * with one call of `run` per group, after the turn's I/O callbacks. Under
 * load a turn holds many deliveries, so a Redis script that would run once
 * per delivery runs once per turn and group (a tracker host, an index key).
 *
 * `run` answers one output per input, in order; if it throws, every call of
 * the batch rejects with its error.
 *
 * `oneInFlight`: a group's next batch waits until its batch in flight has
 * settled, and takes every call made meanwhile (group commit). Nothing waits
 * when the group is idle; under load, batches grow with the round trip
 * instead of one going out every turn.
 */
export function createTickBatcher<I, O>(
  run: (group: string, inputs: I[]) => Promise<O[]>,
  options: { oneInFlight?: boolean } = {},
) {
  const pending = new Map<string, Array<{ input: I; resolve(output: O): void; reject(error: unknown): void }>>();
  const inFlight = new Set<string>();
  let scheduled = false;

  function schedule(): void {
    if (!scheduled) {
      scheduled = true;
      scheduleFlush(flush);
    }
  }

  function flush(): void {
    scheduled = false;
    for (const [group, calls] of [...pending]) {
      // Its calls go when the batch in flight settles (see below).
      if (inFlight.has(group)) continue;
      pending.delete(group);
      let outputs: Promise<O[]>;
      try {
        outputs = run(
          group,
          calls.map((call) => call.input),
        );
      } catch (error) {
        // Thrown before its first await: it fails this batch, not the turn's other batches.
        outputs = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      if (options.oneInFlight) {
        inFlight.add(group);
        outputs = outputs.finally(() => {
          inFlight.delete(group);
          if (pending.has(group)) schedule();
        });
      }
      outputs.then(
        (outputs) => calls.forEach((call, index) => call.resolve(outputs[index]!)),
        (error: unknown) => calls.forEach((call) => call.reject(error)),
      );
    }
  }

  return function call(group: string, input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const calls = pending.get(group);
      if (calls) calls.push({ input, resolve, reject });
      else pending.set(group, [{ input, resolve, reject }]);
      if (!inFlight.has(group)) schedule();
    });
  };
}

/**
 * How to group calls whose keys one script may touch together: all of them
 * on a single server; on a cluster, where keys spread over slots, each key
 * alone (its calls in one turn still share a script call).
 */
export function batchGroupFor(redis: RedisClient): (key: string) => string {
  const cluster = 'isCluster' in redis && redis.isCluster === true;
  return cluster ? (key) => key : () => '';
}
