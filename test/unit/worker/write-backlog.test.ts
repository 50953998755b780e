import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createWriteBacklog } from '../../../src/worker/write-backlog.js';

const logger = pino({ level: 'silent' });

/** A store that refuses writes while `full` is set, recording what landed in order. */
function flakyStore() {
  const landed: string[] = [];
  const store = {
    full: false,
    landed,
    write: (what: string) => async () => {
      if (store.full) throw new Error('OOM command not allowed');
      landed.push(what);
    },
  };
  return store;
}

describe('write backlog', () => {
  it('keeps a refused write, throws, and lands it first on the next flush, in order', async () => {
    const backlog = createWriteBacklog({ logger, retryEveryMs: 60_000 });
    const store = flakyStore();
    store.full = true;
    await expect(backlog.write('c1', store.write('attempt 1'))).rejects.toThrow('OOM');
    expect(backlog.size).toBe(1);
    // Still refused: the flush throws and the write stays.
    await expect(backlog.flush('c1')).rejects.toThrow('OOM');
    expect(backlog.size).toBe(1);
    store.full = false;
    // A later write of the same conversion waits behind the refused one.
    await backlog.write('c1', store.write('attempt 2'));
    expect(store.landed).toEqual(['attempt 1', 'attempt 2']);
    expect(backlog.size).toBe(0);
  });

  it('does not hold back other conversions, and flushing one with nothing waiting is a no-op', async () => {
    const backlog = createWriteBacklog({ logger, retryEveryMs: 60_000 });
    const store = flakyStore();
    store.full = true;
    await expect(backlog.write('c1', store.write('c1 attempt'))).rejects.toThrow();
    store.full = false;
    await backlog.write('c2', store.write('c2 attempt'));
    await backlog.flush('c3');
    expect(store.landed).toEqual(['c2 attempt']);
    await backlog.stop(); // tries once more
    expect(store.landed).toEqual(['c2 attempt', 'c1 attempt']);
  });
});
