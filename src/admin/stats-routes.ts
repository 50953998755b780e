import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { z } from 'zod';
import type { RedisClient } from '../redis/connection.js';
import type { RelayKeys } from '../store/keys.js';
import { json, readErrors, security } from '../http/route-docs.js';
import type { RejectionStore } from '../store/rejections.js';

const HOUR_MS = 3_600_000;
/** Entries read per rejection stream for the day's counts: rejections are rare, and the overview must stay cheap when they are not. */
const REJECTED_READ_CAP = 2_000;
const series = z.array(z.number().int()).describe('counts per hour, oldest first, the last one the current hour so far');

const statsShape = z
  .object({
    at: z.iso.datetime(),
    hours: z.array(z.iso.datetime()).describe('the start of each hour of the series'),
    accepted: z.object({ last_hour: z.number().int(), last_day: z.number().int(), hourly: series }),
    delivered: z.object({ last_hour: z.number().int(), last_day: z.number().int(), hourly: series }),
    failed: z.object({ last_hour: z.number().int(), last_day: z.number().int(), hourly: series }),
    rejected: z
      .object({
        last_hour: z.number().int(),
        last_day: z.number().int(),
        hourly: series,
        capped: z
          .boolean()
          .describe(`true when a source refused more than ${REJECTED_READ_CAP} in the day: the counts are at least these`),
      })
      .describe('refused postbacks, from the rejection log'),
    queues: z.record(z.string(), z.record(z.string(), z.number().int())).describe('job counts of each BullMQ queue by state'),
  })
  .meta({ id: 'Stats' });

export const statsRoute = {
  schema: {
    tags: ['conversions'],
    summary: 'Counts for the overview: accepted, delivered, failed and rejected over the last hour and day, and queue depths',
    description:
      'Counted in the search and listing indexes (a few ZCOUNTs, whatever is stored): `accepted` by when received; `delivered` ' +
      'and `failed` are deliveries now in that state by when they got there (a failure redriven since counts where it is now). ' +
      '`rejected` is read from the rejection log (`GET /v1/rejections`), at most ' +
      String(REJECTED_READ_CAP) +
      ' per source stream (`capped` says when).',
    security: security.read,
    response: { 200: json('The counts', statsShape), ...readErrors },
  },
};

/** `GET /v1/stats`: the console overview's numbers and its chart, cheap at any volume. */
export function registerStatsRoutes(
  app: FastifyInstance,
  deps: { redis: RedisClient; keys: RelayKeys; rejections: Pick<RejectionStore, 'timesSince'>; queues: Record<string, Queue> },
): void {
  app.get('/v1/stats', statsRoute, async () => {
    const now = Date.now();
    const currentHour = Math.floor(now / HOUR_MS) * HOUR_MS;
    const starts = Array.from({ length: 24 }, (_, i) => currentHour - (23 - i) * HOUR_MS);
    const count = async (key: string) => {
      const [hour, day, ...hourly] = await Promise.all([
        deps.redis.zcount(key, now - HOUR_MS, '+inf'),
        deps.redis.zcount(key, now - 24 * HOUR_MS, '+inf'),
        ...starts.map((start) => deps.redis.zcount(key, start, `(${start + HOUR_MS}`)),
      ]);
      return { last_hour: hour, last_day: day, hourly };
    };
    // The day's rejections by when they came in, bucketed by hour.
    const rejectedCount = async () => {
      const { times, capped } = await deps.rejections.timesSince(now - 24 * HOUR_MS, REJECTED_READ_CAP);
      const hourly = starts.map(() => 0);
      for (const at of times) {
        const bucket = Math.floor((at - starts[0]!) / HOUR_MS);
        if (bucket >= 0 && bucket < hourly.length) hourly[bucket]! += 1;
      }
      return { last_hour: times.filter((at) => at >= now - HOUR_MS).length, last_day: times.length, hourly, capped };
    };
    const [accepted, delivered, failed, rejected] = await Promise.all([
      count(deps.keys.conversionsByTime),
      count(deps.keys.deliveriesByState('delivered')),
      count(deps.keys.deliveriesByState('failed')),
      rejectedCount(),
    ]);
    const queues: Record<string, Record<string, number>> = {};
    for (const [name, queue] of Object.entries(deps.queues)) {
      queues[name] = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    }
    return {
      at: new Date(now).toISOString(),
      hours: starts.map((start) => new Date(start).toISOString()),
      accepted,
      delivered,
      failed,
      rejected,
      queues,
    };
  });
}
