import type { FastifyInstance } from 'fastify';
import type { Queue } from 'bullmq';
import type { Ledger, DeliveryRecord } from '../store/ledger.js';
import type { Conversion, ConversionState } from '../domain/conversion.js';
import { conversionState } from '../store/ledger.js';
import { findQueuedConversion, type ConversionJob } from '../queue/queues.js';
import { NotFoundError, ConflictError, ValidationError } from '../errors.js';
import { redactUrl } from '../audit/redact-url.js';
import { isValidCursor } from '../store/ledger.js';
import { bulkRetrySchema, deliveryListQuerySchema } from './schemas.js';
import { bulkRetryRoute, getConversionRoute, listDeliveriesRoute, retryDeliveryRoute } from './conversions-schemas.js';
import type { z } from 'zod';
import type { Redriver } from './redrive.js';

export interface ConversionRoutesDeps {
  ledger: Ledger;
  conversions: Queue<ConversionJob>;
  redriver: Redriver;
}

function presentDelivery(delivery: DeliveryRecord) {
  return {
    id: delivery.id,
    conversion_id: delivery.conversionId,
    account: delivery.account,
    url: redactUrl(delivery.url),
    host: delivery.host,
    state: delivery.state,
    attempt_count: delivery.attempts,
    created_at: new Date(delivery.createdAt).toISOString(),
    updated_at: new Date(delivery.updatedAt).toISOString(),
    ...(delivery.nextAttemptAt !== undefined ? { next_attempt_at: new Date(delivery.nextAttemptAt).toISOString() } : {}),
    ...(delivery.lastError !== undefined ? { last_error: delivery.lastError } : {}),
    ...(delivery.parked !== undefined ? { waiting_for_host: delivery.parked } : {}),
  };
}

// Bounds the walk along `previous_id`: a conversion re-fired more often than this is shown from its latest reports.
const STATUS_HISTORY_LIMIT = 20;

interface StatusHistoryEntry {
  id: string;
  status?: string;
  received_at: string;
  state: ConversionState;
}

/**
 * The reports of one conversion (its status changes), oldest first, ending
 * with `current`: followed back through `previous_id` until a record has
 * expired or the limit is reached. Undefined when `current` follows nothing.
 */
async function statusHistory(
  ledger: Ledger,
  current: Conversion,
  currentState: ConversionState,
): Promise<StatusHistoryEntry[] | undefined> {
  if (!current.previous_id) return undefined;
  const entry = (conversion: Conversion, state: ConversionState): StatusHistoryEntry => ({
    id: conversion.id,
    ...(conversion.status !== undefined ? { status: conversion.status } : {}),
    received_at: new Date(conversion.received_at).toISOString(),
    state,
  });
  const history = [entry(current, currentState)];
  const seen = new Set([current.id]);
  let next: string | undefined = current.previous_id;
  while (next !== undefined && !seen.has(next) && history.length < STATUS_HISTORY_LIMIT) {
    seen.add(next);
    const record = await ledger.getConversion(next);
    if (!record) break;
    const deliveries = await ledger.getDeliveries(record.deliveryIds);
    history.push(entry(record.conversion, conversionState(record.routing, deliveries, record.deliveryIds.length)));
    next = record.conversion.previous_id;
  }
  return history.reverse();
}

export function registerConversionRoutes(app: FastifyInstance, deps: ConversionRoutesDeps): void {
  app.get<{ Params: { id: string } }>('/v1/conversions/:id', getConversionRoute, async (request) => {
    const id = request.params.id;
    const record = await deps.ledger.getConversion(id);
    if (!record) {
      // Accepted but not yet picked up by a worker: the queue holds it.
      const queued = await findQueuedConversion(deps.conversions, id);
      if (!queued) throw new NotFoundError(`conversion ${id}`);
      const { conversion, unattributed } = queued;
      return {
        ...conversion,
        received_at: new Date(conversion.received_at).toISOString(),
        state: unattributed ? 'unattributed' : 'pending',
        ...(unattributed ? { reason: unattributed } : {}),
        deliveries: [],
      };
    }
    const deliveries = await deps.ledger.getDeliveries(record.deliveryIds);
    const attempts = await Promise.all(deliveries.map((d) => deps.ledger.getAttempts(d.id)));
    const state = conversionState(record.routing, deliveries, record.deliveryIds.length);
    const history = await statusHistory(deps.ledger, record.conversion, state);
    return {
      ...record.conversion,
      received_at: new Date(record.conversion.received_at).toISOString(),
      state,
      ...(history ? { status_history: history } : {}),
      ...(record.reason ? { reason: record.reason } : {}),
      ...(record.level ? { level: record.level } : {}),
      deliveries: deliveries.map((delivery, index) => ({ ...presentDelivery(delivery), attempts: attempts[index] ?? [] })),
    };
  });

  app.get<{ Querystring: z.output<typeof deliveryListQuerySchema> }>('/v1/deliveries', listDeliveriesRoute, async (request) => {
    const query = request.query;
    if (query.cursor && !isValidCursor(query.cursor)) {
      throw new ValidationError('invalid_query', [{ path: 'cursor', message: 'not a cursor returned by this API' }]);
    }
    const page = await deps.ledger.listDeliveries({
      state: query.state,
      limit: query.limit,
      ...(query.account ? { account: query.account } : {}),
      ...(query.host ? { host: query.host } : {}),
      ...(query.cursor ? { cursor: query.cursor } : {}),
    });
    return { deliveries: page.deliveries.map(presentDelivery), ...(page.cursor ? { next_cursor: page.cursor } : {}) };
  });

  app.post<{ Params: { id: string }; Body: { keep_url?: boolean } | undefined }>(
    '/v1/deliveries/:id/retry',
    retryDeliveryRoute,
    async (request, reply) => {
      const delivery = await deps.ledger.getDelivery(request.params.id);
      if (!delivery) throw new NotFoundError(`delivery ${request.params.id}`);
      if (delivery.state !== 'failed') {
        throw new ConflictError(
          'not_failed',
          `delivery ${delivery.id} is ${delivery.state}; only failed deliveries are redriven`,
        );
      }
      const result = await deps.redriver.redrive(delivery, { keepUrl: request.body?.keep_url === true });
      if (result.outcome === 'in_progress')
        throw new ConflictError('in_progress', `delivery ${delivery.id} is being attempted right now`);
      if (result.outcome === 'template_gone')
        throw new ConflictError('template_gone', `${result.reason}; nothing changed (keep_url resends the stored URL)`);
      return reply.status(202).send({
        id: delivery.id,
        status: 'requeued',
        url: redactUrl(result.url),
        ...(result.previousUrl !== undefined ? { previous_url: redactUrl(result.previousUrl) } : {}),
      });
    },
  );

  app.post<{ Body: z.output<typeof bulkRetrySchema> }>('/v1/deliveries/retry', bulkRetryRoute, async (request, reply) => {
    const filter = request.body;
    const result = await deps.redriver.redriveMatching({
      limit: filter.limit,
      ...(filter.account ? { account: filter.account } : {}),
      ...(filter.host ? { host: filter.host } : {}),
      ...(filter.since !== undefined ? { sinceMs: filter.since } : {}),
      ...(filter.keep_url ? { keepUrl: true } : {}),
    });
    return reply.status(202).send(result);
  });
}
