import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Queue, Worker } from 'bullmq';
import Fastify from 'fastify';
import { Agent, request } from 'undici';
import { announceReady, serveIpc } from '../lib/ipc.js';

/**
 * Baseline "minimal relay": what someone writes in an afternoon. Fastify
 * enqueues one BullMQ job per postback; an in-process worker renders the
 * same URL shape and fires it with undici. No auth, no dedupe, no audit,
 * no per-host isolation, no address policy, BullMQ defaults throughout.
 * Same worker concurrency and connections per origin as the relay's
 * defaults (64), so the comparison is about the work, not the knobs.
 */
const socketPath = process.env.BENCH_REDIS_SOCKET;
const template = process.env.BENCH_POSTBACK_TEMPLATE;
if (!socketPath || !template) throw new Error('BENCH_REDIS_SOCKET and BENCH_POSTBACK_TEMPLATE are required');

interface Postback {
  click_id: string;
  payout: string;
  conversion_id: string;
}

const connection = { path: socketPath };
const queue = new Queue<Postback>('postbacks', {
  connection,
  defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true },
});

const agent = new Agent({ connections: 64 });
new Worker<Postback>(
  'postbacks',
  async (job) => {
    const url = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(job.data[name as keyof Postback] ?? ''));
    const { statusCode, body } = await request(url, { dispatcher: agent, headersTimeout: 10_000, bodyTimeout: 10_000 });
    await body.dump();
    if (statusCode >= 300) throw new Error(`tracker answered ${statusCode}`);
  },
  { connection, concurrency: 64 },
);

const app = Fastify({ logger: false });
app.get<{ Querystring: Record<string, string | undefined> }>('/postback/:source', async (req) => {
  const id = randomUUID();
  await queue.add('postback', { click_id: req.query.click_id ?? '', payout: req.query.payout ?? '', conversion_id: id });
  return { status: 'accepted', id };
});

serveIpc({});
await app.listen({ port: 0, host: '127.0.0.1' });
announceReady({ port: (app.server.address() as AddressInfo).port });
