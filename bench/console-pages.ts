/**
 * `npx tsx bench/console-pages.ts`: what the console's pages cost with
 * CONSOLE_N conversions stored (default 100,000). The ledger records them on
 * a fresh redis-server (as the worker does: 20 sources, 200 accounts, 1,000
 * offers, a click id each, a third `unattributed`, the rest `no_postback`),
 * then a real relay (receiver role, listening on loopback) answers the API
 * calls the console's pages make, signed in with a console session cookie;
 * each is timed 30 times after 3 warm-ups (wall time on the client, one
 * request at a time) and median and p95 are printed.
 */
import pino from 'pino';
import { inBatches, syntheticConversion, withSyntheticStore } from './lib/synthetic-conversions.js';
import { parseConfig } from '../src/config/load-config.js';
import { createRelay } from '../src/relay.js';

const N = Number(process.env.CONSOLE_N ?? 100_000);
const ADMIN = 'bench-admin-token-0123456789';

async function main(): Promise<void> {
  let clickId = '';
  await withSyntheticStore('console', { autoPipelining: true }, async ({ redis, ledger }) => {
    // Spread over the last 20 hours, so the overview's hour and day both hold some.
    const start = Date.now() - 20 * 3_600_000;
    const step = (20 * 3_600_000) / N;
    await inBatches(N, 500, (i, j, batchId) => {
      const conversion = syntheticConversion(i, `${batchId}-${j}`, Math.round(start + i * step));
      if (i === Math.floor(N / 2)) clickId = conversion.click_id!;
      return i % 3 === 0
        ? ledger.saveUndelivered(conversion, 'unattributed', 'unknown click')
        : ledger.saveUndelivered(conversion, 'no_postback', 'no template');
    });

    const config = parseConfig({
      env: 'production',
      role: 'receiver',
      adminToken: ADMIN,
      logLevel: 'silent',
      http: { port: 0, host: '127.0.0.1' },
      redis: { url: redis.url, keyPrefix: 'relay' },
      audit: { log: 'off' },
    });
    const relay = await createRelay(config, {
      logger: pino({ level: 'silent' }),
      auditLog: pino({ level: 'silent' }),
      redisUrl: redis.url,
    });
    const origin = await relay.listen();
    const signIn = await fetch(`${origin}/console/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN }),
    });
    const cookie = signIn.headers.getSetCookie()[0]!.split(';')[0]!;

    const calls: Array<[string, string]> = [
      ['Overview: GET /v1/stats', '/v1/stats'],
      ['Overview: GET /v1/hosts', '/v1/hosts'],
      ['Conversions, no filter (newest 50)', '/v1/conversions?limit=50'],
      ['by click id', `/v1/conversions?click_id=${encodeURIComponent(clickId)}`],
      ['by source (1 in 20)', '/v1/conversions?source=source-3&limit=50'],
      ['by account + state (1 in 200, a third of them)', '/v1/conversions?account=account-7&state=unattributed&limit=50'],
      ['by source + account that never meet (worst case)', '/v1/conversions?source=source-3&account=account-7&limit=50'],
      ['by state only (unattributed)', '/v1/conversions?state=unattributed&limit=50'],
      ['Failed deliveries: GET /v1/deliveries?state=failed', '/v1/deliveries?state=failed&limit=100'],
      ['Changes: GET /v1/changes', '/v1/changes?limit=50'],
      ['The page: GET /console', '/console'],
    ];
    console.log(
      `console API calls with ${N.toLocaleString('en')} conversions stored (node ${process.version}, one request at a time, ms)`,
    );
    console.log('| call | median | p95 | answer |');
    console.log('|---|---:|---:|---|');
    for (const [name, path] of calls) {
      const times: number[] = [];
      let summary = '';
      for (let i = 0; i < 33; i++) {
        const began = performance.now();
        const response = await fetch(`${origin}${path}`, { headers: { cookie } });
        const text = await response.text();
        if (i >= 3) times.push(performance.now() - began);
        if (response.status !== 200) throw new Error(`${path}: ${response.status} ${text}`);
        if (i === 0) {
          const body = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          const list = body && Object.values(body).find(Array.isArray);
          summary = list ? `${list.length} items` : `${text.length} bytes`;
        }
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
      console.log(`| ${name} | ${at(0.5)} | ${at(0.95)} | ${summary} |`);
    }
    await relay.close();
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
