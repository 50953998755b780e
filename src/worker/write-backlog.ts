import type { Logger } from 'pino';

export interface WriteBacklogOptions {
  logger: Logger;
  /** How often the writes Redis refused are tried again in the background. */
  retryEveryMs: number;
}

/**
 * Ledger writes Redis refused (full at `maxmemory`, away, timing out) after
 * the thing they record had already happened: an attempt reached the
 * tracker, so its record must not be dropped. They are kept in process, in
 * order per conversion, and written again in the background and before any
 * further step on the same conversion (`flush`): a job that runs again first
 * records what its last run did, and while that still fails it makes no new
 * attempt, so the tracker's hits and the audit's attempts stay equal.
 *
 * Kept in memory only: a process killed while Redis refuses writes loses
 * these records from Redis (the JSON-lines audit log has each attempt,
 * written before the ledger is).
 */
export function createWriteBacklog(options: WriteBacklogOptions) {
  const pending = new Map<string, Array<() => Promise<void>>>();
  let timer: NodeJS.Timeout | undefined;
  let flushingAll: Promise<void> | undefined;

  /** Writes this conversion's refused writes, oldest first; throws (keeping the rest) at the first refused again. */
  async function flush(key: string): Promise<void> {
    const writes = pending.get(key);
    while (writes && writes.length > 0) {
      await writes[0]!();
      writes.shift();
    }
    pending.delete(key);
  }

  return {
    flush,

    /**
     * Runs `write`; if Redis refuses it, keeps it for later and throws. Behind
     * earlier refused writes of the same conversion, it waits its turn.
     */
    async write(key: string, write: () => Promise<void>): Promise<void> {
      const writes = pending.get(key);
      if (writes) {
        writes.push(write);
        await flush(key);
        return;
      }
      try {
        await write();
      } catch (error) {
        pending.set(key, [write]);
        options.logger.warn(
          { err: error, conversion_id: key, backlog: pending.size },
          'ledger write refused; kept to write again',
        );
        throw error;
      }
    },

    /** Conversions with refused writes waiting. */
    get size() {
      return pending.size;
    },

    start() {
      timer ??= setInterval(() => {
        if (pending.size === 0 || flushingAll) return;
        flushingAll = (async () => {
          for (const key of [...pending.keys()]) await flush(key).catch(() => undefined);
          if (pending.size === 0) options.logger.info('ledger writes refused earlier are all written');
        })().finally(() => (flushingAll = undefined));
      }, options.retryEveryMs);
      timer.unref();
    },

    /** Stops the background retries, trying once more to write what waits. */
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flushingAll;
      for (const key of [...pending.keys()]) await flush(key).catch(() => undefined);
      if (pending.size > 0)
        options.logger.error({ conversions: pending.size }, 'ledger writes still refused at shutdown; lost from Redis');
    },
  };
}

export type WriteBacklog = ReturnType<typeof createWriteBacklog>;
