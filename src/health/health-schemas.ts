import { z } from 'zod';
import { json, security } from '../http/route-docs.js';

const ready = z.object({ status: z.enum(['ready', 'unavailable']), redis: z.enum(['ok', 'unreachable']) });

export const healthzRoute = {
  schema: {
    tags: ['health'],
    summary: 'The process is up',
    description: 'Answers as long as the process serves HTTP; says nothing about Redis (see /readyz).',
    security: security.none,
    response: { 200: json('Up', z.object({ status: z.literal('ok') }).meta({ examples: [{ status: 'ok' }] })) },
  },
};

export const readyzRoute = {
  schema: {
    tags: ['health'],
    summary: 'Redis is reachable',
    description: 'For load balancers: 503 while Redis cannot be reached, so no postback is sent to a relay that cannot enqueue it.',
    security: security.none,
    response: {
      200: json('Ready', ready.meta({ examples: [{ status: 'ready', redis: 'ok' }] })),
      503: json('Redis unreachable', ready.meta({ examples: [{ status: 'unavailable', redis: 'unreachable' }] })),
    },
  },
};

export const metricsRoute = {
  schema: {
    tags: ['health'],
    summary: 'Prometheus metrics',
    description: 'The Prometheus text exposition format: conversions received by outcome, deliveries, attempts, queue depths, tracker hosts.',
    security: security.none,
    response: {
      200: {
        description: 'Prometheus text exposition format',
        content: { 'text/plain; version=0.0.4': { schema: z.string().meta({ examples: ['relay_conversions_received_total{outcome="accepted"} 42\n'] }) } },
      },
    },
  },
};
