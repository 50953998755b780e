import { z } from 'zod';
import { empty, invalid, json, notFound, readErrors, security, writeErrors } from '../http/route-docs.js';
import { idSchema } from './schemas.js';
import { offerInputSchema } from './attribution-schemas.js';

const offerExample = { url: 'https://store.example/land?ref={transaction_id}&s1={sub1}', attribution_window_days: 30 };

export const offerShape = z
  .object({
    id: z.string(),
    url: z.string().describe('the landing page template'),
    attribution_window_days: z.number().int().optional(),
    attribution_window_seconds: z.number().int().optional(),
  })
  .meta({ id: 'Offer', examples: [{ id: '42', ...offerExample }] });

const savedOfferShape = offerShape
  .extend({ warnings: z.array(z.string()).optional().describe('macros accepted with a warning') })
  .meta({ id: 'SavedOffer' });

const offerParams = z.object({ id: idSchema.describe('the offer id, as in /click/{offer_id}') });

export const putOfferRoute = {
  schema: {
    tags: ['tracking'],
    summary: 'Create or replace the landing page of a tracking link',
    description:
      'The URL may use `{transaction_id}`, `{offer_id}` and `{sub1}`…`{sub5}`; a macro not known at click time is rejected. ' +
      'The attribution window defaults to the relay’s (30 days).',
    security: security.write,
    params: offerParams,
    body: offerInputSchema.meta({ examples: [offerExample] }),
    response: {
      200: json('Replaced', savedOfferShape),
      201: json('Created', savedOfferShape),
      400: invalid,
      ...writeErrors,
    },
  },
  config: { invalidInput: 'invalid_offer' },
};

export const getOfferRoute = {
  schema: {
    tags: ['tracking'],
    summary: 'Get an offer',
    description: 'Its landing page template and attribution window.',
    security: security.read,
    params: offerParams,
    response: { 200: json('The offer', offerShape), 400: invalid, ...readErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_offer' },
};

export const listOffersRoute = {
  schema: {
    tags: ['tracking'],
    summary: 'List offers',
    description: 'Every offer with a tracking link, in id order.',
    security: security.read,
    response: { 200: json('All offers', z.object({ offers: z.array(offerShape) })), ...readErrors },
  },
};

export const deleteOfferRoute = {
  schema: {
    tags: ['tracking'],
    summary: 'Delete an offer',
    description: 'Its tracking link answers 404 from then on; clicks already made stay attributable.',
    security: security.write,
    params: offerParams,
    response: { 204: empty('Deleted'), 400: invalid, ...writeErrors, 404: notFound },
  },
  config: { invalidInput: 'invalid_offer' },
};
