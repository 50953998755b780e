import { Job, type Queue } from 'bullmq';
import type { RedisClient } from '../redis/connection.js';

/**
 * The one module that touches BullMQ internals (the seam). Everything else
 * uses BullMQ's public API.
 *
 * What it buys: the receiver adds a conversions job inside its own MULTI,
 * next to the dedupe claim, so "200" means both are in Redis and a failed
 * transaction wrote neither; and the intake's connection defines only the
 * add script instead of BullMQ's sixty (a transaction on a BullMQ client
 * cost 0.6 ms of CPU). Neither is reachable through the public API.
 *
 * What it relies on, all checked by `loadQueueInternals` before use:
 * - `bullmq/dist/esm/scripts/addStandardJob-9.js` exports the add script
 *   (`name`, `keys`, `content`) and `bullmq/dist/esm/version.js` the version
 *   BullMQ suffixes its command names with;
 * - `queue.backend.addJobToTransaction(client, job, id)` queues exactly that
 *   command through `client.runCommand(name, args)`, synchronously.
 * When any of it is not so (a BullMQ upgrade renamed a script, say), the
 * caller falls back to the public `queue.add` and says so once. To upgrade
 * BullMQ: bump it, run `npx vitest run test/integration/bullmq-seam.test.ts`;
 * if the contract test fails, update the import path or the probe here.
 */

interface AddScript {
  name: string;
  keys: number;
  content: string;
}

export type QueueTransaction = ReturnType<RedisClient['multi']>;

export interface QueueInternals {
  /** Defines the add script on a client, under the name BullMQ's backend calls it by. */
  defineOn(redis: RedisClient): void;
  /** Queues the add of `job` on `transaction` (a MULTI on a client given to `defineOn`), synchronously. */
  addToTransaction(transaction: QueueTransaction, queue: Queue, job: Job): void;
}

export type InternalsProbe = { ok: true; internals: QueueInternals } | { ok: false; reason: string };

/** Where the add script lives in the BullMQ this relay was tested with; a parameter only so tests can break it. */
export const ADD_SCRIPT_MODULE = 'bullmq/dist/esm/scripts/addStandardJob-9.js';
const VERSION_MODULE = 'bullmq/dist/esm/version.js';

type RunCommandClient = { runCommand(name: string, args: unknown[]): unknown };
type BackendClient = Parameters<Queue['backend']['addJobToTransaction']>[0];

/**
 * Loads and checks the internals against the installed BullMQ, without
 * touching Redis: the backend is run against a recording client and must
 * queue exactly the one command the add script is defined as.
 */
export async function loadQueueInternals(queue: Queue, scriptModule = ADD_SCRIPT_MODULE): Promise<InternalsProbe> {
  let script: AddScript;
  let version: string;
  try {
    const scriptExports = (await import(scriptModule)) as { addStandardJob?: Partial<AddScript> };
    const versionExports = (await import(VERSION_MODULE)) as { version?: unknown };
    const candidate = scriptExports.addStandardJob;
    if (
      !candidate ||
      typeof candidate.name !== 'string' ||
      typeof candidate.keys !== 'number' ||
      typeof candidate.content !== 'string'
    ) {
      return { ok: false, reason: `${scriptModule} does not export the add script as expected` };
    }
    if (typeof versionExports.version !== 'string') return { ok: false, reason: `${VERSION_MODULE} exports no version` };
    script = candidate as AddScript;
    version = versionExports.version;
  } catch (error) {
    return { ok: false, reason: `cannot load BullMQ internals: ${(error as Error).message}` };
  }
  const commandName = `${script.name}:${version}`;

  const backend = (queue as Partial<Pick<Queue, 'backend'>>).backend;
  if (typeof backend?.addJobToTransaction !== 'function')
    return { ok: false, reason: 'queue.backend.addJobToTransaction is missing' };
  const queued: string[] = [];
  const recorder: RunCommandClient = {
    runCommand(name) {
      queued.push(name);
      return Promise.resolve(1);
    },
  };
  try {
    const probeJob = new Job(queue, 'probe', {}, { ...queue.defaultJobOptions }, 'probe');
    void Promise.resolve(backend.addJobToTransaction(recorder as unknown as BackendClient, probeJob.asJSON(), 'probe')).catch(
      () => {},
    );
  } catch (error) {
    return { ok: false, reason: `addJobToTransaction threw: ${(error as Error).message}` };
  }
  if (queued.length !== 1 || queued[0] !== commandName) {
    return { ok: false, reason: `addJobToTransaction queued [${queued.join(', ')}], expected [${commandName}]` };
  }

  return {
    ok: true,
    internals: {
      defineOn(redis) {
        redis.defineCommand(commandName, { numberOfKeys: script.keys, lua: script.content });
      },
      addToTransaction(transaction, targetQueue, job) {
        const client = transaction as unknown as QueueTransaction & RunCommandClient;
        // BullMQ's backend calls scripts as `client.runCommand(name, args)`; a plain
        // ioredis MULTI has the defined command as a method instead.
        client.runCommand = (name, args) => {
          (client as unknown as Record<string, (args: unknown[]) => unknown>)[name]!(args);
          return client;
        };
        void targetQueue.backend.addJobToTransaction(client as unknown as BackendClient, job.asJSON(), job.id ?? '');
      },
    },
  };
}
