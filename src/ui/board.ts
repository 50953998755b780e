import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { requireBoardLogin } from './board-auth.js';

export interface BoardDeps {
  /** The relay's queues (conversions, retries). */
  queues: readonly Queue[];
  adminToken: string;
  /** Where the dashboard is mounted. */
  basePath: string;
}

/**
 * Bull Board at `basePath`, behind the admin token. Read-only: the ledger,
 * not the queue, is the record of a delivery, so removing, emptying or
 * promoting jobs by hand would leave deliveries the ledger still waits on.
 * Repairs go through the API (redrive), which keeps both in step.
 */
export async function registerBoard(app: FastifyInstance, deps: BoardDeps): Promise<void> {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(deps.basePath);
  createBullBoard({
    queues: deps.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'postback-relay',
        hideDocsLink: true,
        miscLinks: [{ text: 'API docs', url: '/docs' }],
      },
    },
  });
  await app.register(
    async (ui) => {
      requireBoardLogin(ui, deps.adminToken);
      await ui.register(serverAdapter.registerPlugin());
    },
    { prefix: deps.basePath },
  );
}
