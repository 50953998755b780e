import { guard } from '../lib/children.js';
import { runLoad, type ResponseHeaders } from '../lib/load.js';
import { acceptFigures, commandDelta, cpuOf, per1k, type AcceptFigures, type CpuFigures } from '../lib/measure.js';
import { startNoiseMeter, type Noise } from '../lib/noise.js';
import { waitForQuietCpu } from '../lib/proc-cpu.js';
import { startRedis } from '../lib/redis-server.js';
import { startRelayProcess, type RelayProcess, type RelayShutdown } from '../lib/relay-process.js';
import type { BenchSettings } from '../lib/settings.js';

export interface ClickResult {
  /** `GET /click/bench` answered 302 to a landing URL carrying a fresh transaction id; anything else is an error. */
  clicks: AcceptFigures;
  /** Transaction ids handed out more than once in the measured run (each visit must get its own). */
  duplicateIds: number;
  cpu: CpuFigures;
  noise: Noise;
  redis: {
    /** Redis commands per click, and each command's share, most Redis time first (µs per click). */
    callsPerClick: number;
    top: Array<{ command: string; callsPerClick: number; usecPerClick: number }>;
    /** INFO memory used_memory around the measured run (after the warm-up, so its clicks are not counted). */
    usedMemoryBefore: number;
    usedMemoryAfter: number;
    /** (after − before) ÷ clicks redirected: a stored click with its key, TTL and share of the keyspace tables. */
    bytesPerClick: number;
    /** DBSIZE grew by this much over the run: one key per redirected click is expected. */
    keysAdded: number;
  };
  /** The relay's click counters at the end (warm-up included). */
  counters: Record<string, number>;
  warnLines: number;
  warnSamples: string[];
  shutdown: RelayShutdown;
}

const OFFER_ID = 'bench';
const LANDING_TEMPLATE = 'https://store.example/land?ref={transaction_id}&s1={sub1}';
/** What the template renders to: the transaction id (22 base64url characters for 16 bytes) and the sub id as sent. */
const LANDING = /^https:\/\/store\.example\/land\?ref=([A-Za-z0-9_-]{22})&s1=(s\d+)$/;
const CLICK_COUNTERS = /^postback_relay_clicks_total$/;

/**
 * Tracking links: the relay started as in the relay phase, one offer, then
 * `GET /click/bench` flat out. Each answer must be a 302 to the offer's
 * landing page with a transaction id of its own; the figures are clicks/s,
 * latency, CPU (relay and Redis) and the Redis memory each stored click takes.
 */
export async function runClick(settings: BenchSettings): Promise<ClickResult> {
  const redis = await startRedis('click', settings.tmpDir);
  let relay: RelayProcess | undefined;
  try {
    relay = await startRelayProcess('relay (click)', redis, settings);
    await relay.adminPut(`/v1/offers/${OFFER_ID}`, { url: LANDING_TEMPLATE });
    const { origin } = relay;
    const cpuPids = [relay.child.pid];
    const guards = [relay.child, redis.child];
    const load = (n: number) =>
      guard(
        runLoad({
          origin,
          n,
          concurrency: settings.concurrency,
          path: (i) => `/click/${OFFER_ID}?account=acct&sub1=s${i}`,
          accept: (status, _body, headers, index) => landingTransactionId(status, headers, `s${index}`),
          // Values elided, so a systematic mismatch is one error kind, not one per click.
          errorKind: (status, body, headers) =>
            status === 302
              ? `302 to an unexpected Location: ${String(headers.location)
                  .replace(/=[^&]*/g, '=…')
                  .slice(0, 120)}`
              : `${status} ${body.slice(0, 120)}`,
        }),
        guards,
      );

    const warm = await load(settings.warmup);
    if (warm.ok === 0) throw new Error(`no warm-up click was redirected: ${JSON.stringify(warm.errorKinds)}`);
    await waitForQuietCpu(cpuPids);

    const keysBefore = await redis.dbSize();
    const memoryBefore = await redis.usedMemory();
    const noise = startNoiseMeter([...cpuPids, redis.child.pid]);
    const cpuBefore = cpuOf(cpuPids);
    const redisBefore = await redis.cpuSeconds();
    const statsBefore = await redis.commandStats();
    const run = await load(settings.n);
    const noiseFigures = noise();
    await waitForQuietCpu(cpuPids);
    const cpuSeconds = cpuOf(cpuPids) - cpuBefore;
    const redisSeconds = (await redis.cpuSeconds()) - redisBefore;
    const commands = commandDelta(statsBefore, await redis.commandStats(), run.ok);
    const memoryAfter = await redis.usedMemory();
    const keysAfter = await redis.dbSize();

    const counters = await relay.readCounters(CLICK_COUNTERS);
    const shutdown = await relay.stop();
    const { warn } = relay;
    relay = undefined;
    const issued = run.ids.filter((id) => id !== undefined);
    return {
      clicks: acceptFigures(run),
      duplicateIds: issued.length - new Set(issued).size,
      cpu: {
        processSecPer1k: per1k(cpuSeconds, run.ok),
        redisSecPer1k: per1k(redisSeconds, run.ok),
        totalSecPer1k: per1k(cpuSeconds + redisSeconds, run.ok),
      },
      noise: noiseFigures,
      redis: {
        callsPerClick: commands.callsPerConversion,
        top: commands.top.map((c) => ({
          command: c.command,
          callsPerClick: c.callsPerConversion,
          usecPerClick: c.usecPerConversion,
        })),
        usedMemoryBefore: memoryBefore,
        usedMemoryAfter: memoryAfter,
        bytesPerClick: run.ok > 0 ? (memoryAfter - memoryBefore) / run.ok : Number.NaN,
        keysAdded: keysAfter - keysBefore,
      },
      counters,
      warnLines: warn.lines,
      warnSamples: warn.samples,
      shutdown,
    };
  } finally {
    if (relay) await relay.child.stop(3_000);
    await redis.stop();
  }
}

/** The transaction id of a 302 to the offer's landing page for this very click, or undefined. */
function landingTransactionId(status: number, headers: ResponseHeaders, sub1: string): string | undefined {
  if (status !== 302) return undefined;
  const location = headers.location;
  if (typeof location !== 'string') return undefined;
  const match = LANDING.exec(location);
  return match && match[2] === sub1 ? match[1] : undefined;
}
