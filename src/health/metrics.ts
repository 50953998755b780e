import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type QueueDepthSource = () => Promise<Array<{ queue: string; state: string; count: number }>>;
export type HostStatusSource = () => Promise<
  Array<{ host: string; state: string; paused: boolean; inFlight: number; parked: number }>
>;
const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;

/**
 * One registry per relay instance (never prom-client's global one), so two
 * relays in one process keep their own counts.
 */
export function createMetrics() {
  const registry = new Registry();
  // The standard process_* and nodejs_* series (CPU, memory, file descriptors, event-loop
  // lag, GC, heap) every Node dashboard expects. Read at scrape time, except GC durations,
  // which a PerformanceObserver records as collections happen.
  collectDefaultMetrics({ register: registry });
  let queueDepthSource: QueueDepthSource | undefined;
  let hostStatusSource: HostStatusSource | undefined;
  // Host gauges are read from Redis once per scrape and shared by the three gauges below.
  let hostScrape: Promise<Awaited<ReturnType<HostStatusSource>>> | undefined;
  const hostStatuses = () => {
    hostScrape ??= (hostStatusSource?.() ?? Promise.resolve([])).finally(() => {
      setImmediate(() => (hostScrape = undefined));
    });
    return hostScrape;
  };

  const conversionsReceived = new Counter({
    name: 'postback_relay_conversions_received_total',
    help: 'Inbound postbacks by outcome (accepted, duplicate, unattributed, invalid, unauthorized, forbidden, unavailable).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const postbackWarnings = new Counter({
    name: 'relay_postback_warnings_total',
    help: 'Optional inbound values dropped instead of refusing the conversion (malformed, or unreplaced macros), by canonical field.',
    labelNames: ['field'] as const,
    registers: [registry],
  });
  const postbacksRejected = new Counter({
    name: 'relay_postbacks_rejected_total',
    help: 'Refused inbound postbacks (kept in GET /v1/rejections) by source and the answer\'s error code; names that are not configured sources count as source="unknown".',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  const conversionsRouted = new Counter({
    name: 'postback_relay_conversions_routed_total',
    help: 'Conversions resolved by the worker, by result (routed, unattributed, suppressed, no_postback).',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const clicks = new Counter({
    name: 'postback_relay_clicks_total',
    help: 'Tracking-link clicks by outcome (redirected, unknown_offer, invalid, unavailable).',
    labelNames: ['outcome'] as const,
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
  const deliveriesRecovered = new Counter({
    name: 'relay_deliveries_recovered_total',
    help: 'Unsettled deliveries the reconciler found without scheduled work and scheduled again.',
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

  new Gauge({
    name: 'postback_relay_host_circuit_state',
    help: 'Circuit state per tracker host: 1 for the current state (closed, open, half_open).',
    labelNames: ['host', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const host of await hostStatuses()) {
        for (const state of CIRCUIT_STATES) this.set({ host: host.host, state }, host.state === state ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'postback_relay_host_parked_deliveries',
    help: 'Deliveries waiting for their tracker host (at its cap, circuit open, or paused).',
    labelNames: ['host'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const host of await hostStatuses()) this.set({ host: host.host }, host.parked);
    },
  });
  new Gauge({
    name: 'postback_relay_host_in_flight_attempts',
    help: "Slots of a tracker host's cap held across all workers: attempts in flight and free slots in workers' lease blocks.",
    labelNames: ['host'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const host of await hostStatuses()) this.set({ host: host.host }, host.inFlight);
    },
  });

  const queueInternalsFallback = new Gauge({
    name: 'relay_queue_internals_fallback',
    help: "1 when BullMQ's internals were not what the relay expects and the receiver uses BullMQ's public API (slower); see src/queue/bullmq-internals.ts.",
    registers: [registry],
  });

  return {
    registry,
    queueInternalsFallback,
    conversionsReceived,
    postbackWarnings,
    postbacksRejected,
    conversionsRouted,
    clicks,
    deliveryAttempts,
    deliveriesSettled,
    deliveriesRecovered,
    attemptDuration,
    setQueueDepthSource(source: QueueDepthSource) {
      queueDepthSource = source;
    },
    setHostStatusSource(source: HostStatusSource) {
      hostStatusSource = source;
    },
  };
}

export type RelayMetrics = ReturnType<typeof createMetrics>;
