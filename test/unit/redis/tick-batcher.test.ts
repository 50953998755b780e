import { describe, expect, it } from 'vitest';
import { createTickBatcher } from '../../../src/redis/tick-batcher.js';

describe('createTickBatcher', () => {
  it('serves the calls of one turn with one run per group, answering each call with its own output', async () => {
    const runs: Array<[string, number[]]> = [];
    const call = createTickBatcher<number, string>(async (group, inputs) => {
      runs.push([group, inputs]);
      return inputs.map((input) => `${group}:${input * 10}`);
    });
    const answers = await Promise.all([call('a', 1), call('b', 2), call('a', 3)]);
    expect(answers).toEqual(['a:10', 'b:20', 'a:30']);
    expect(runs).toEqual([
      ['a', [1, 3]],
      ['b', [2]],
    ]);
    // A later turn is a new batch.
    expect(await call('a', 4)).toBe('a:40');
    expect(runs).toHaveLength(3);
  });

  it('rejects every call of a failed batch, and only those', async () => {
    const call = createTickBatcher<number, number>(async (group, inputs) => {
      if (group === 'bad') throw new Error('redis away');
      return inputs;
    });
    const results = await Promise.allSettled([call('bad', 1), call('bad', 2), call('good', 3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
  });
});

describe('createTickBatcher: batchers of one turn', () => {
  it('flushes every batcher with calls in one callback of the same turn', async () => {
    const order: string[] = [];
    const first = createTickBatcher<number, number>(async (_group, inputs) => {
      order.push('first');
      return inputs;
    });
    const second = createTickBatcher<number, number>(async (_group, inputs) => {
      order.push('second');
      return inputs;
    });
    const firstCall = first('', 1);
    // Queued between the two calls: with a flush per batcher it would run between their flushes.
    setImmediate(() => order.push('queued between'));
    await Promise.all([firstCall, second('', 2)]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['first', 'second', 'queued between']);
  });

  it('fails only the batch whose run throws before its first await', async () => {
    const throwing = createTickBatcher<number, number>((): Promise<number[]> => {
      throw new Error('bad arguments');
    });
    const fine = createTickBatcher<number, number>(async (_group, inputs) => inputs);
    const results = await Promise.allSettled([throwing('', 1), fine('', 2), throwing('other', 3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    expect((results[1] as PromiseFulfilledResult<number>).value).toBe(2);
  });
});

describe('createTickBatcher with oneInFlight (group commit)', () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it('holds the calls made while a batch is in flight and sends them together once it settles', async () => {
    const batches: number[][] = [];
    const releases: Array<() => void> = [];
    const call = createTickBatcher<number, number>(
      async (_group, inputs) => {
        batches.push(inputs);
        await new Promise<void>((resolve) => releases.push(resolve));
        return inputs;
      },
      { oneInFlight: true },
    );
    const first = call('', 1);
    await nextTurn();
    expect(batches).toEqual([[1]]);
    // Three more turns' calls while the first batch is in flight: none goes yet.
    const later = [call('', 2)];
    await nextTurn();
    later.push(call('', 3));
    await nextTurn();
    later.push(call('', 4));
    await nextTurn();
    expect(batches).toEqual([[1]]);
    releases.shift()!();
    expect(await first).toBe(1);
    await nextTurn();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    releases.shift()!();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('lets other groups go while one is in flight, and a failed batch releases the next', async () => {
    const batches: Array<[string, number[]]> = [];
    let failFirst: (() => void) | undefined;
    const call = createTickBatcher<number, number>(
      async (group, inputs) => {
        batches.push([group, inputs]);
        if (group === 'a' && !failFirst) {
          await new Promise<void>((_resolve, reject) => (failFirst = () => reject(new Error('redis refused'))));
        }
        return inputs;
      },
      { oneInFlight: true },
    );
    const first = call('a', 1);
    await nextTurn();
    const second = call('a', 2);
    expect(await call('b', 3)).toBe(3);
    expect(batches).toEqual([
      ['a', [1]],
      ['b', [3]],
    ]);
    failFirst!();
    await expect(first).rejects.toThrow('redis refused');
    expect(await second).toBe(2);
    expect(batches.at(-1)).toEqual(['a', [2]]);
  });
});
