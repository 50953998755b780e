import { describe, expect, it } from 'vitest';
import { createSlots } from '../../../src/worker/slots.js';

describe('createSlots', () => {
  it('runs at most `size` tasks at once and starts the waiting ones in arrival order', async () => {
    const slots = createSlots(2);
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    const task = (id: number) =>
      slots.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(id);
            finish.set(id, () => resolve(id));
          }),
      );
    const results = [1, 2, 3, 4].map(task);
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    expect(slots.held).toBe(2);
    expect(slots.waiting).toBe(2);
    finish.get(2)!();
    await results[1];
    await Promise.resolve();
    expect(started).toEqual([1, 2, 3]);
    finish.get(1)!();
    finish.get(3)!();
    await Promise.all([results[0], results[2]]);
    await Promise.resolve();
    expect(started).toEqual([1, 2, 3, 4]);
    finish.get(4)!();
    expect(await Promise.all(results)).toEqual([1, 2, 3, 4]);
    expect(slots.held).toBe(0);
  });

  it('frees the slot of a task that throws', async () => {
    const slots = createSlots(1);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(slots.held).toBe(0);
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});
