import type { FastifyInstance } from 'fastify';
import type { OfferConfig } from '../domain/offer.js';
import type { Click } from '../domain/click.js';
import type { RelayMetrics } from '../health/metrics.js';
import { NotFoundError, UnavailableError, ValidationError } from '../errors.js';
import type { ClickStore } from './click-store.js';
import type { RecordCache } from '../store/record-cache.js';
import { parseClickQuery } from './click-query.js';
import { newTransactionId } from './transaction-id.js';
import { attributionWindowMs } from './attribution-window.js';
import { renderLandingUrl } from './landing-url.js';
import { clickRoute } from './click-schema.js';

export interface ClickRouteDeps {
  offers: RecordCache<OfferConfig>;
  clicks: ClickStore;
  metrics: RelayMetrics;
  defaultWindowDays: number;
  now?: () => number;
}

const OFFER_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * `GET /click/:offer_id`: issue a transaction id, keep the click for the
 * attribution window, and send the visitor on to the offer's landing page.
 * Public and hot: the offer comes from an in-process cache, so the only Redis
 * round trip is the click's own write.
 */
export function registerClickRoute(app: FastifyInstance, deps: ClickRouteDeps): void {
  const now = deps.now ?? Date.now;
  const count = (outcome: string) => deps.metrics.clicks.inc({ outcome });

  app.get<{ Params: { offer_id: string }; Querystring: Record<string, unknown> }>(
    '/click/:offer_id',
    clickRoute,
    async (request, reply) => {
      const offerId = request.params.offer_id;
      if (!OFFER_ID.test(offerId)) {
        count('unknown_offer');
        throw new NotFoundError(`offer ${offerId}`);
      }
      const parsed = parseClickQuery(request.query);
      if (!parsed.ok) {
        count('invalid');
        throw new ValidationError('invalid_click', parsed.errors);
      }
      const offer = await unlessRedisDown(() => deps.offers.get(offerId));
      if (!offer) {
        count('unknown_offer');
        throw new NotFoundError(`offer ${offerId}`);
      }
      const transactionId = newTransactionId();
      const click: Click = { offer_id: offerId, ...parsed.query, created_at: now() };
      await unlessRedisDown(() => deps.clicks.save(transactionId, click, attributionWindowMs(offer, deps.defaultWindowDays)));
      count('redirected');
      return (
        reply
          .status(302)
          // Every visit must get its own id: a cached redirect would hand one id to many visitors.
          .header('cache-control', 'no-store')
          .header('location', renderLandingUrl(offer.url, { transactionId, offerId, ...parsed.query }))
          .send()
      );
    },
  );

  async function unlessRedisDown<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      count('unavailable');
      throw new UnavailableError('click store unavailable, retry later', { cause: error });
    }
  }
}
