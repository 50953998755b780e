import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type QueueDepthSource = () => Promise<Array<{ queue: string; state: string; count: number }>>;

/**
 * One registry per relay instance (never prom-client's global one), so two
 * relays in one process keep their own counts.
 */
export function createMetrics() {
  const registry = new Registry();
  let queueDepthSource: QueueDepthSource | undefined;

  const conversionsReceived = new Counter({
    name: 'postback_relay_conversions_received_total',
    help: 'Inbound postbacks by outcome (accepted, duplicate, unattributed, invalid, unauthorized, forbidden, unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const conversionsRouted = new Counter({
    name: 'postback_relay_conversions_routed_total',
    help: 'Conversions resolved by the worker, by result (routed, unattributed, suppressed, no_postback).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const deliveryAttempts = new Counter({
    name: 'postback_relay_delivery_attempts_total',
    help: 'Outbound attempts by outcome (delivered, retry, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const deliveriesSettled = new Counter({
    name: 'postback_relay_deliveries_total',
    help: 'Deliveries that reached a final state, by outcome (delivered, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const attemptDuration = new Histogram({
    name: 'postback_relay_delivery_attempt_duration_seconds',
    help: 'Latency of one outbound attempt, from send to the end of the read body snippet.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'postback_relay_queue_jobs',
    help: 'Jobs in each relay queue by state.',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      if (!queueDepthSource) return;
      this.reset();
      for (const { queue, state, count } of await queueDepthSource()) this.set({ queue, state }, count);
    },
  });

  return {
    registry,
    conversionsReceived,
    conversionsRouted,
    deliveryAttempts,
    deliveriesSettled,
    attemptDuration,
    setQueueDepthSource(source: QueueDepthSource) {
      queueDepthSource = source;
    },
  };
}

export type RelayMetrics = ReturnType<typeof createMetrics>;
