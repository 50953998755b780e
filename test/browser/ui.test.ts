import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';
import { createKeys } from '../../src/store/keys.js';
import { connectRedis } from '../../src/redis/connection.js';

// Debian's chromium; .ci/run installs it when missing.
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let relay: TestRelay;
let tracker: Tracker;
let origin: string;

async function postback(clickId: string) {
  const response = await relay.request({ url: `/postback/net?key=browser-key-1&click_id=${clickId}` });
  expect(response.body.status).toBe('accepted');
}

describe.skipIf(!hasChromium)('Bull Board in a browser', () => {
  beforeAll(async () => {
    // Retries far in the future, so the retries queue holds delayed jobs while the browser looks.
    relay = await startTestRelay({ delivery: { retryDelaysMs: [600_000] } });
    tracker = await startTracker();
    tracker.respond((_hit, res) => {
      res.statusCode = 503;
      res.end('down');
    });
    await relay.request({ method: 'PUT', url: '/v1/sources/net', admin: true, body: { key: 'browser-key-1', default_account: 'acct' } });
    await relay.request({ method: 'PUT', url: '/v1/accounts/acct', admin: true, body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } } });
    await postback('b1');
    await postback('b2');
    await tracker.waitForHits(2);

    // Then hold the conversions queue, so the next reports stay waiting in it.
    const connection = connectRedis(relay.config.redis.url!, 'background', { commandTimeoutMs: 5_000 });
    const conversions = new Queue('conversions', { connection, prefix: createKeys(relay.config.redis.keyPrefix).queuePrefix });
    const retries = new Queue('retries', { connection, prefix: createKeys(relay.config.redis.keyPrefix).queuePrefix });
    await eventually(async () => ((await retries.getDelayedCount()) === 2 ? true : undefined), 10_000, 'two delayed retries');
    await conversions.pause();
    await postback('b3');
    await postback('b4');
    expect(await conversions.getWaitingCount()).toBe(2);
    await conversions.close();
    await retries.close();
    await connection.quit();

    origin = (await relay.relay.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
  });

  afterAll(async () => {
    await relay?.close();
    await tracker?.close();
  });

  async function withBrowser(credentials: boolean, use: (context: BrowserContext) => Promise<void>): Promise<void> {
    const profile = mkdtempSync(join(tmpdir(), 'relay-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
      ...(credentials ? { httpCredentials: { username: 'admin', password: ADMIN_TOKEN } } : {}),
    });
    try {
      // The board links a web font; nothing outside the relay is reachable (or wanted) in a test.
      await context.route((url) => url.origin !== origin, (route) => route.abort());
      await use(context);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  }

  it('refuses /ui without credentials', async () => {
    const plain = await fetch(`${origin}/ui`);
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toMatch(/^Basic /);
    await withBrowser(false, async (context) => {
      const page = await context.newPage();
      // With no credentials to offer, the browser either shows the 401 or gives up on the challenge.
      const outcome = await page.goto(`${origin}/ui`).then(
        (response) => response?.status(),
        (error: Error) => error.message,
      );
      expect(String(outcome)).toMatch(/^401$|ERR_INVALID_AUTH_CREDENTIALS/);
      // Chromium may still be swapping in its own error page; read the text once it has settled.
      await page.waitForLoadState('load').catch(() => undefined);
      const text = await page.evaluate<string>('document.body ? document.body.innerText : ""').catch(() => '');
      expect(text).not.toContain('retries');
    });
  });

  it('logs in with the admin token and shows the relay queues', async () => {
    await withBrowser(true, async (context) => {
      const page = await context.newPage();
      const response = await page.goto(`${origin}/ui`);
      expect(response?.status()).toBe(200);
      // Queue names are links to each queue's page once the board has loaded its data.
      await page.locator('a[href*="queue/conversions"]').first().waitFor({ timeout: 15_000 });
      await page.locator('a[href*="queue/retries"]').first().waitFor({ timeout: 15_000 });
      const text = await page.locator('body').innerText();
      expect(text).toContain('conversions');
      expect(text).toContain('retries');
      // The board's own API calls carry the login too; without it they are refused.
      const omitted = await page.evaluate(async () => (await fetch('api/queues', { credentials: 'omit' })).status);
      expect(omitted).toBe(401);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'ui.png'), fullPage: true });

      await page.goto(`${origin}/ui/queue/retries?status=delayed`);
      await page.getByText('delayed', { exact: false }).first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'ui-retries.png'), fullPage: true });
    });
  }, 60_000);
});

if (!hasChromium) {
  describe('Bull Board in a browser', () => {
    it.skip(`skipped: ${CHROMIUM} not found (apt-get install chromium; .ci/run installs it)`, () => {});
  });
}
