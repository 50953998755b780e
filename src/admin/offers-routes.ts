import type { FastifyInstance } from 'fastify';
import type { OfferConfig } from '../domain/offer.js';
import type { RecordStore } from '../store/record-store.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { checkLandingTemplate } from '../tracking/landing-url.js';
import type { offerInputSchema } from './attribution-schemas.js';
import { deleteOfferRoute, getOfferRoute, listOffersRoute, putOfferRoute } from './offers-schemas.js';
import type { z } from 'zod';

export interface OfferRoutesDeps {
  offers: RecordStore<OfferConfig>;
  /** Called after an offer changes, so this process's click cache does not serve the old one. */
  onChange?: (id: string) => void;
}

/** Offers as tracking links see them: the landing page and the attribution window. */
export function registerOfferRoutes(app: FastifyInstance, deps: OfferRoutesDeps): void {
  app.put<{ Params: { id: string }; Body: z.output<typeof offerInputSchema> }>(
    '/v1/offers/:id',
    putOfferRoute,
    async (request, reply) => {
      const id = request.params.id;
      const input = request.body;
      const check = checkLandingTemplate(input.url);
      if (!check.ok) throw new ValidationError('invalid_offer', [{ path: 'url', message: check.message }]);
      const offer: OfferConfig = {
        url: input.url,
        ...(input.attribution_window_days !== undefined ? { attribution_window_days: input.attribution_window_days } : {}),
        ...(input.attribution_window_seconds !== undefined
          ? { attribution_window_seconds: input.attribution_window_seconds }
          : {}),
      };
      const created = await deps.offers.put(id, offer);
      deps.onChange?.(id);
      return reply.status(created ? 201 : 200).send({
        id,
        ...offer,
        ...(check.warnings.length > 0 ? { warnings: check.warnings.map((w) => `url: ${w}`) } : {}),
      });
    },
  );

  app.get<{ Params: { id: string } }>('/v1/offers/:id', getOfferRoute, async (request) => {
    const offer = await deps.offers.get(request.params.id);
    if (!offer) throw new NotFoundError(`offer ${request.params.id}`);
    return { id: request.params.id, ...offer };
  });

  app.get('/v1/offers', listOffersRoute, async () => ({
    offers: (await deps.offers.list()).map(({ id, value }) => ({ id, ...value })),
  }));

  app.delete<{ Params: { id: string } }>('/v1/offers/:id', deleteOfferRoute, async (request, reply) => {
    if (!(await deps.offers.delete(request.params.id))) throw new NotFoundError(`offer ${request.params.id}`);
    deps.onChange?.(request.params.id);
    return reply.status(204).send();
  });
}
