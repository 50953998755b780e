import { z } from 'zod';
import { json, security } from '../http/route-docs.js';
import { evictionMessage } from '../redis/eviction-policy.js';

const ready = z.object({
  status: z.enum(['ready', 'unavailable']),
  redis: z.enum(['ok', 'unreachable', 'evicting']),
  policy: z.string().optional().describe("Redis's maxmemory-policy, when it is not noeviction"),
  message: z.string().optional(),
});

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
    summary: 'Redis is reachable and will not evict',
    description:
      'For load balancers: 503 while Redis cannot be reached, so no postback is sent to a relay that cannot enqueue it; also 503 naming the policy while Redis runs with a maxmemory-policy other than noeviction (at its limit it would delete accepted conversions).',
    security: security.none,
    response: {
      200: json('Ready', ready.meta({ examples: [{ status: 'ready', redis: 'ok' }] })),
      503: json(
        'Redis unreachable, or evicting',
        ready.meta({
          examples: [
            { status: 'unavailable', redis: 'unreachable' },
            { status: 'unavailable', redis: 'evicting', policy: 'allkeys-lru', message: evictionMessage('allkeys-lru') },
          ],
        }),
      ),
    },
  },
};

export const metricsRoute = {
  schema: {
    tags: ['health'],
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition format: conversions received by outcome, deliveries, attempts, queue depths, tracker hosts.',
    security: security.none,
    response: {
      200: {
        description: 'Prometheus text exposition format',
        content: {
          'text/plain; version=0.0.4': {
            schema: z.string().meta({ examples: ['relay_conversions_received_total{outcome="accepted"} 42\n'] }),
          },
        },
      },
    },
  },
};
