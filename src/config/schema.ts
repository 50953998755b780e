import { z } from 'zod';
import { parseCidr } from '../net/cidr.js';
import { DEFAULT_RETRY_DELAYS_MS } from '../domain/retry-policy.js';

const DAY_MS = 86_400_000;

/** Names proxy-addr (Fastify's trustProxy) takes for ranges. */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

const cidrText = z.string().refine((text) => parseCidr(text) !== null, 'not a CIDR');

/**
 * The whole configuration of a relay process. Defaults live here and only
 * here; the file in `config/` and the environment override them. Every
 * object is strict: a misspelt key in a config file would otherwise be
 * ignored in silence and its default used.
 */
export const configSchema = z.strictObject({
  env: z.enum(['development', 'test', 'production']).default('development'),
  role: z.enum(['all', 'receiver', 'worker']).default('all'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  /** May read the admin API (every GET), never change anything. */
  /** The relay's public base URL for the URLs it tells users to paste; unset: the request's own host. */
  publicUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL like https://relay.example.com' })
    .refine((text) => !/[?#]/.test(text), 'must not have a query or fragment')
    .optional(),
  viewerToken: z.string().min(16, 'must be at least 16 characters').optional(),
  http: z
    .strictObject({
      port: z.coerce.number().int().min(0).max(65_535).default(8080),
      host: z.string().min(1).default('0.0.0.0'),
      /** Trust X-Forwarded-For from a load balancer; true, or a comma list of proxy CIDRs. */
      trustProxy: z
        .union([
          z.boolean(),
          z
            .string()
            .refine(
              (text) => text.split(',').every((entry) => PROXY_NAMES.has(entry.trim()) || parseCidr(entry) !== null),
              'expected true, false, or a comma list of proxy addresses, CIDRs, loopback, linklocal or uniquelocal',
            ),
        ])
        .default(false),
      // The contract caps the body at 64 KiB: a postback is a few hundred bytes, and a larger limit only helps a flood.
      bodyLimitBytes: z.number().int().positive().max(65_536, 'at most 65536 (64 KiB)').default(16_384),
      /** Time a client has to send its headers and body; a slower one is cut off (slowloris). */
      requestTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** Unset: 127.0.0.1:6379 if it answers, else a redis-server child with data in `dataDir`. */
      url: z
        .string()
        .regex(
          /^(redis|rediss|unix|redis-cluster):\/\/./,
          'must be redis://, rediss://, unix:///path or redis-cluster://host:port,host:port',
        )
        .optional(),
      keyPrefix: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ or -, at most 32')
        .default('relay'),
      dataDir: z.string().default('./data'),
      /** The receiver answers 503 rather than waiting longer than this on Redis. */
      commandTimeoutMs: z.number().int().positive().default(2_000),
    })
    .prefault({}),
  receiver: z
    .strictObject({
      /** Same source + click id + event + conversion/order id inside this window is a duplicate. */
      dedupeWindowMs: z.number().int().positive().default(DAY_MS),
      /**
       * Sources are read from an in-process cache on the hot path; an edit made
       * through another process shows after at most this long (0: no cache).
       */
      sourceCacheMs: z.number().int().min(0).default(1_000),
      /**
       * Most conversions in one queue job. The conversions received in one turn
       * of the event loop, or while the previous transaction was in flight
       * (group commit), share a job; this bounds how much one job holds.
       */
      maxBatch: z.number().int().positive().max(1_000).default(64),
    })
    .prefault({}),
  tracking: z
    .strictObject({
      /** How long a tracking-link click can be attributed; an offer may set its own. */
      attributionWindowDays: z.number().positive().max(3650).default(30),
      /**
       * The click endpoint caches offers in process this long, so a click is one
       * Redis write; an edit made through another process shows after at most this.
       */
      offerCacheMs: z.number().int().min(0).max(300_000).default(5_000),
    })
    .prefault({}),
  delivery: z
    .strictObject({
      timeoutMs: z.coerce.number().int().min(100).max(120_000).default(10_000),
      maxRedirects: z.number().int().min(0).max(10).default(3),
      retryDelaysMs: z
        .array(z.number().int().min(0))
        .max(50)
        .default([...DEFAULT_RETRY_DELAYS_MS]),
      retryJitterRatio: z.number().min(0).max(1).default(0.2),
      retryAfterCapMs: z.number().int().min(0).default(3_600_000),
      bodySnippetBytes: z.number().int().min(0).max(65_536).default(512),
      allowCidrs: z.array(cidrText).default([]),
      userAgent: z.string().default('postback-relay/0.1'),
      /** Open sockets per tracker origin in the shared undici Agent. */
      connectionsPerOrigin: z.number().int().positive().default(64),
      /**
       * Attempts in flight to one tracker host, across all workers; the rest wait their turn.
       * 64, as many sockets as `connectionsPerOrigin` opens: at 32 the cap, not the tracker, bounded a
       * burst to one host (bench/ab.ts, with worker.concurrency 128: CPU 0.78x, deliveries/s 1.34x).
       */
      hostConcurrency: z.number().int().positive().max(1_000).default(64),
      /**
       * A worker leases several of a healthy host's slots at once and hands them out in process
       * (src/delivery/host-lease-blocks.ts): no Redis call per delivery, and a slot held for the
       * ping alone. Off: every delivery asks the shared gate for its slot.
       */
      hostLeaseBlocks: z.boolean().default(true),
      /** How often a worker's lease blocks are renewed and their hosts re-read (a pause elsewhere reaches it within this). */
      hostLeaseCheckMs: z.number().int().min(50).max(10_000).default(1_000),
      /**
       * A delivery to a busy but responsive host waits in process for a slot until the host has
       * freed none for this long (at most 8 times this in all), then it is parked.
       */
      hostBusyWaitMs: z.number().int().min(0).max(10_000).default(250),
      /**
       * Requests per second per tracker host (`host[:port]` as the URL carries it), shared by every
       * worker; deliveries over it wait, never fail. Off for hosts not listed.
       */
      hostRateLimits: z.record(z.string().min(1), z.number().positive().max(100_000)).default({}),
      /** Consecutive retryable failures (timeouts, 5xx, refused) that open a host's circuit. */
      circuitFailureThreshold: z.number().int().positive().default(10),
      /** How long an open circuit waits before one probe attempt (half-open). */
      circuitCooldownMs: z.number().int().positive().default(30_000),
      /**
       * A parked delivery is woken when a slot frees; this is only the safety
       * net for a wake-up lost to a crash.
       */
      parkRecheckMs: z.number().int().positive().default(60_000),
    })
    .prefault({}),
  worker: z
    .strictObject({
      /** Conversions processed at once per worker process: twice `delivery.hostConcurrency`, so a dead host holds at most half. */
      concurrency: z.number().int().positive().max(1_000).default(128),
      retryConcurrency: z.number().int().positive().max(1_000).default(32),
      /** Accounts (templates) are cached per worker process this long; 0: read on every conversion. */
      accountCacheMs: z.number().int().min(0).default(1_000),
      /**
       * A killed worker's jobs are taken over once their lock expires and the
       * stall check runs: lock + interval bounds the re-delivery delay.
       */
      lockDurationMs: z.number().int().min(1_000).default(30_000),
      stalledIntervalMs: z.number().int().min(500).default(15_000),
      /**
       * BullMQ's own retries of a job that threw (not delivery retries, which
       * follow delivery.retryDelaysMs): exponential from jobBackoffMs. A job
       * that exhausts them is put back by the reconciler.
       */
      jobAttempts: z.number().int().min(1).max(100).default(10),
      jobBackoffMs: z.number().int().min(0).default(1_000),
      /** SIGTERM waits this long for in-flight deliveries before closing anyway. */
      shutdownGraceMs: z.number().int().min(0).default(15_000),
    })
    .prefault({}),
  reconciler: z
    .object({
      /** How often one worker sweeps for unsettled deliveries whose work went missing. */
      intervalMs: z.number().int().min(100).default(30_000),
      /**
       * A delivery is checked once it is this late on its next attempt: more
       * than an attempt can take (delivery.timeoutMs) plus queueing. Interval +
       * grace bounds how long lost work goes unnoticed (default 90 s).
       */
      graceMs: z.number().int().min(0).default(60_000),
      /** Most overdue deliveries checked per sweep; the rest wait for the next one. */
      maxPerSweep: z.number().int().positive().max(100_000).default(1_000),
    })
    .prefault({}),
  console: z
    .strictObject({
      /** A console session lasts this long after sign-in (CONSOLE_SESSION_HOURS). */
      sessionTtlMs: z
        .number()
        .int()
        .min(60_000)
        .default(8 * 3_600_000),
      /** Sign-in attempts allowed per client address in each window; more are answered 429. */
      signInMax: z.number().int().min(1).default(10),
      signInWindowMs: z
        .number()
        .int()
        .min(1_000)
        .default(15 * 60_000),
    })
    .prefault({}),
  audit: z
    .strictObject({
      /** Conversions, deliveries and attempts expire this long after their last change. */
      retentionMs: z
        .number()
        .int()
        .positive()
        .default(7 * DAY_MS),
      maxAttemptsPerDelivery: z.number().int().positive().default(50),
      /** Entries kept in each delivery-state listing index. */
      maxIndexEntries: z.number().int().positive().default(200_000),
      /** Refused postbacks kept per source for `GET /v1/rejections` (also bounded by `retentionMs`). */
      rejectionsPerSource: z.number().int().min(1).max(1_000_000).default(10_000),
      /** Admin changes kept for `GET /v1/changes` (also bounded by `retentionMs`). */
      maxChanges: z.number().int().min(1).max(1_000_000).default(100_000),
      /** Test postbacks kept per account for `GET /v1/accounts/:id/tests`. */
      testsPerAccount: z.number().int().min(1).max(1_000).default(20),
      /** Where the JSON-lines audit log goes: `stdout`, `stderr`, `off`, or a file path. */
      log: z.string().default('stdout'),
    })
    .prefault({}),
});

export type RelayConfig = z.infer<typeof configSchema>;
export type RelayConfigInput = z.input<typeof configSchema>;
