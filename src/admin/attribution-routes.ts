import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { Conversion } from '../domain/conversion.js';
import type { AccountConfig } from '../domain/account.js';
import type { Ledger } from '../store/ledger.js';
import { isValidCursor } from '../store/ledger.js';
import type { RecordStore } from '../store/record-store.js';
import type { ClickStore } from '../tracking/click-store.js';
import { attributeFromClick } from '../tracking/attribution.js';
import { looksLikeTransactionId } from '../tracking/transaction-id.js';
import { REATTRIBUTE_JOB_PREFIX, findQueuedConversion, type ConversionJob } from '../queue/queues.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import {
  attributeConversionRoute,
  listConversionsRoute,
  type attributeInputSchema,
  type conversionListQuerySchema,
} from './attribution-schemas.js';
import { exportFormat, presentFound, searchOf, sendExport, SEARCH_SCAN_BUDGET } from './conversion-export.js';
import type { z } from 'zod';

export interface AttributionRoutesDeps {
  ledger: Ledger;
  conversions: Queue<ConversionJob>;
  accounts: RecordStore<AccountConfig>;
  clicks: ClickStore;
}

// Job states in which a re-attribution is still on its way to the worker.
const UNSETTLED_JOB_STATES = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Repairing attribution: list conversions that were kept but not delivered,
 * and hand an unattributed one to the worker again with the right account.
 */
export function registerAttributionRoutes(app: FastifyInstance, deps: AttributionRoutesDeps): void {
  app.get<{ Querystring: z.output<typeof conversionListQuerySchema> }>(
    '/v1/conversions',
    listConversionsRoute,
    async (request, reply) => {
      const query = request.query;
      if (query.cursor && !isValidCursor(query.cursor)) {
        throw new ValidationError('invalid_query', [{ path: 'cursor', message: 'not a cursor returned by this API' }]);
      }
      const search = searchOf(query);
      const format = exportFormat(query.format, request.headers.accept);
      if (format) return sendExport(reply, format, deps.ledger, search);
      const page = await deps.ledger.searchConversions(search, {
        limit: query.limit,
        budget: SEARCH_SCAN_BUDGET,
        ...(query.cursor ? { cursor: query.cursor } : {}),
      });
      return { conversions: page.found.map(presentFound), ...(page.cursor ? { next_cursor: page.cursor } : {}) };
    },
  );

  type AttributeRequest = { Params: { id: string }; Body: z.output<typeof attributeInputSchema> };
  app.post<AttributeRequest>('/v1/conversions/:id/attribute', attributeConversionRoute, async (request, reply) => {
    const id = request.params.id;
    const input = request.body;
    const record = await deps.ledger.getConversion(id);
    if (!record) {
      if (await findQueuedConversion(deps.conversions, id)) {
        throw new ConflictError('not_processed', `conversion ${id} is still queued; try again in a moment`);
      }
      throw new NotFoundError(`conversion ${id}`);
    }
    if (record.routing !== 'unattributed') {
      throw new ConflictError(
        'not_unattributed',
        `conversion ${id} is ${record.routing}; only unattributed conversions can be attributed`,
      );
    }
    if (!(await deps.accounts.get(input.account))) {
      throw new ValidationError('invalid_attribution', [
        { path: 'account', message: `account ${input.account} is not configured` },
      ]);
    }
    const jobId = `${REATTRIBUTE_JOB_PREFIX}${id}`;
    const previous = await deps.conversions.getJob(jobId);
    if (previous) {
      if (UNSETTLED_JOB_STATES.has(await previous.getState())) {
        throw new ConflictError('attribution_pending', `conversion ${id} is already being attributed`);
      }
      // A job kept after failing for good would make the add below a no-op.
      await deps.conversions.remove(jobId);
    }

    const clickId = input.click_id ?? record.conversion.click_id;
    const click = looksLikeTransactionId(clickId) ? await deps.clicks.get(clickId) : null;
    // The operator's account and offer win over the click's, as a conversion's own fields do.
    const conversion: Conversion = attributeFromClick(
      {
        ...record.conversion,
        account: input.account,
        ...(input.offer_id !== undefined ? { offer_id: input.offer_id } : {}),
        ...(input.click_id !== undefined ? { click_id: input.click_id } : {}),
      },
      click,
    );
    await deps.conversions.add('reattribute', { items: [{ conversion }], reattribute: true }, { jobId });
    return reply.status(202).send({
      id,
      status: 'requeued',
      account: conversion.account,
      ...(conversion.offer_id !== undefined ? { offer_id: conversion.offer_id } : {}),
      ...(conversion.click_id !== undefined ? { click_id: conversion.click_id } : {}),
      ...(click ? { from_click: true } : {}),
    });
  });
}
