/**
 * A counting semaphore: at most `size` holders at once, the others wait in
 * arrival order. Bounds how many conversions a worker process routes at once
 * whatever the size of the jobs it has taken.
 */
export function createSlots(size: number) {
  let held = 0;
  const waiting: Array<() => void> = [];

  function take(): Promise<void> {
    if (held < size) {
      held += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  }

  function give(): void {
    const next = waiting.shift();
    // The slot passes straight to the next waiter: `held` is unchanged.
    if (next) next();
    else held -= 1;
  }

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      await take();
      try {
        return await task();
      } finally {
        give();
      }
    },
    get held(): number {
      return held;
    },
    get waiting(): number {
      return waiting.length;
    },
  };
}

export type Slots = ReturnType<typeof createSlots>;
