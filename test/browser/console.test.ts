import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_TOKEN, eventually, startTestRelay, type TestRelay } from '../helpers/relay-harness.js';
import { startTracker, type Tracker } from '../helpers/tracker.js';

/**
 * The operator's stories in a real Chromium against a real relay, Redis and
 * loopback tracker. `SCREENSHOTS=1` (npm run screenshots) also writes the
 * main pages to docs/console-*.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const VIEWER_TOKEN = 'test-viewer-token-9876543210';
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DOCS = resolve(import.meta.dirname, '../../docs');
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI)
  console.warn(`test/browser/console.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);

let relay: TestRelay;
/** Console errors of every page (CSP violations, failed module loads): none is expected. */
const consoleErrors: string[] = [];

function watch(page: Page): void {
  // Well inside the test's 30 s, so a missing element fails with its name rather than a bare timeout.
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    // 401 from /console/session before sign-in, and 403s the tests provoke, are expected answers, not defects.
    if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) consoleErrors.push(message.text());
  });
}
let tracker: Tracker;
let origin: string;
let browser: Browser;

const viewport = { width: 1280, height: 860 };

async function signedIn(token: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  watch(page);
  await page.goto(`${origin}/console`);
  await page.getByLabel('Admin or viewer token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  return { context, page };
}

async function open(page: Page, hash: string, heading: string | RegExp): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.locator('main[aria-busy]').waitFor({ state: 'detached' });
}

/** axe-core on the page as it is: no serious or critical violation. */
async function expectAccessible(page: Page, what: string): Promise<void> {
  // Evaluated rather than added as a <script>: the console's CSP rightly refuses an inline script, and stays on.
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const violations = await page.evaluate<string[]>(`axe.run().then((result) => result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => v.id + ': ' + JSON.stringify(v.nodes.map((n) => n.target))))`);
  expect(violations, what).toEqual([]);
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!process.env.SCREENSHOTS) return;
  mkdirSync(DOCS, { recursive: true });
  await page.screenshot({ path: join(DOCS, `console-${name}.png`), fullPage: true });
}

async function postback(clickId: string, extra = ''): Promise<string> {
  const response = await relay.request({ url: `/postback/net?key=console-key-1&click_id=${clickId}&payout=3.10${extra}` });
  expect(response.status, response.text).toBeLessThan(300);
  return response.body.id as string;
}

async function conversionState(id: string, state: string) {
  return eventually(
    async () => {
      const response = await relay.request({ url: `/v1/conversions/${id}`, admin: true });
      return response.body?.state === state ? response.body : undefined;
    },
    15_000,
    `conversion ${id} ${state}`,
  );
}

describe.skipIf(!available && !process.env.CI)('console in Chromium', () => {
  beforeAll(async () => {
    if (!available)
      throw new Error(`CI is set and there is no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium)`);
    tracker = await startTracker();
    tracker.respond((hit, res) => {
      const wrong = hit.url.startsWith('/wrong');
      res.statusCode = wrong ? 404 : 200;
      res.end(wrong ? 'no such endpoint' : 'OK tracked');
    });
    // Every story signs in afresh from 127.0.0.1: more than the default limit (tested in console-session.test.ts).
    relay = await startTestRelay({ viewerToken: VIEWER_TOKEN, delivery: { retryDelaysMs: [100] }, console: { signInMax: 100 } });
    origin = await relay.relay.listen();
    const admin = { admin: true } as const;
    await relay.request({
      method: 'PUT',
      url: '/v1/sources/net',
      body: { key: 'console-key-1', default_account: 'acme', network: 'everflow' },
      ...admin,
    });
    const account = await relay.request({
      method: 'PUT',
      url: '/v1/accounts/acme',
      body: { postback: { url: `${tracker.origin}/wrong?cid={click_id}&payout={payout}` } },
      ...admin,
    });
    expect(account.status, account.text).toBeLessThan(300);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await tracker?.close();
  });

  it('signs in, with a strict CSP on the page, and the overview passes axe', async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    watch(page);
    const response = await page.goto(`${origin}/console`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Admin or viewer token').fill('wrong-token-xyz');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('neither the admin nor the viewer token').waitFor();
    await page.getByLabel('Admin or viewer token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    expect(await page.getByText('Signed in: admin').isVisible()).toBe(true);
    const cookie = (await context.cookies()).find((c) => c.name === 'relay_console')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });

  it('finds a conversion by click id and reads its attempts', async () => {
    const id = await postback('click-find-1');
    await conversionState(id, 'failed');
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await expectAccessible(page, 'overview');
    await open(page, '#/conversions', 'Conversions');
    await page.getByLabel('Click id').fill('click-find-1');
    await page.getByRole('button', { name: 'Search' }).click();
    // The export link carries the same filter and downloads the API's CSV with the session cookie.
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Export every match as CSV' }).click();
    const csv = readFileSync(await (await download).path(), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^id,received_at,state/);
    expect(csv).toContain('click-find-1');
    expect(csv.trim().split('\n')).toHaveLength(2);
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { level: 1, name: `Conversion ${id}` }).waitFor();
    const attempts = page.getByRole('table', { name: /Attempts of delivery/ });
    await expect.poll(() => attempts.textContent()).toContain('404');
    const text = (await attempts.textContent())!;
    expect(text).toContain(`${tracker.origin}/wrong?cid=click-find-1&payout=3.10`);
    expect(text).toContain('no such endpoint');
    expect(text).toMatch(/\d+ ms/);
    await expectAccessible(page, 'conversion detail');
    await screenshot(page, 'conversion');

    // By offer: only that offer's conversion is listed.
    const offerId = await postback('click-offer-1', '&offer_id=offer-77');
    await conversionState(offerId, 'failed');
    await open(page, '#/conversions', 'Conversions');
    await page.getByLabel('Offer id').fill('offer-77');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: offerId }).waitFor();
    expect(await page.getByRole('link', { name: id }).count()).toBe(0);
    await context.close();
  });

  it('a tracker answers 404: fix the template in the editor (preview shows the new URL), redrive from the Failed page, delivered', async () => {
    const id = await postback('click-fix-1');
    await conversionState(id, 'failed');
    const { context, page } = await signedIn(ADMIN_TOKEN);

    await open(page, '#/accounts/acme', 'Account acme');
    const global = page.getByLabel('Global template');
    await expect.poll(() => page.locator('.template-row output').first().textContent()).toContain('/wrong?cid=example-click-1');
    // A typo in a macro: the preview says so.
    await global.fill(`${tracker.origin}/pb?cid={clik_id}`);
    await expect.poll(() => page.locator('.template-row output').first().textContent()).toContain('unknown macro');
    // No click id: accepted with the warning.
    await global.fill(`${tracker.origin}/pb?payout={payout}`);
    await expect.poll(() => page.locator('.template-row output').first().textContent()).toContain('no click id macro');
    await global.fill(`${tracker.origin}/pb?cid={click_id}&payout={payout}`);
    await expect
      .poll(() => page.locator('.template-row output').first().textContent())
      .toContain(`${tracker.origin}/pb?cid=example-click-1&payout=2.50`);
    await expectAccessible(page, 'account editor');
    await screenshot(page, 'account');
    await page.getByRole('button', { name: 'Save account' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await open(page, '#/failed', 'Failed deliveries');
    const row = page.getByRole('row').filter({ hasText: `${id}.0` });
    await expectAccessible(page, 'failed deliveries');
    await screenshot(page, 'failed');
    await row.getByRole('button', { name: 'Redrive' }).click();
    await page.getByRole('status').filter({ hasText: 'Requeued 1.' }).waitFor();
    const delivered = await conversionState(id, 'delivered');
    expect(delivered.deliveries[0].attempts.at(-1)).toMatchObject({
      status: 200,
      url: `${tracker.origin}/pb?cid=click-fix-1&payout=3.10`,
    });

    // And the console shows it delivered.
    await open(page, `#/conversions/${id}`, `Conversion ${id}`);
    expect(await page.getByRole('heading', { level: 3 }).first().textContent()).toContain('delivered');
    await context.close();
  });

  it('bulk redrive requeues every failed delivery', async () => {
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/acme',
      admin: true,
      body: { postback: { url: `${tracker.origin}/wrong?cid={click_id}` } },
    });
    const ids = [await postback('click-bulk-1'), await postback('click-bulk-2')];
    for (const id of ids) await conversionState(id, 'failed');
    await relay.request({
      method: 'PUT',
      url: '/v1/accounts/acme',
      admin: true,
      body: { postback: { url: `${tracker.origin}/pb?cid={click_id}` } },
    });
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await open(page, '#/failed', 'Failed deliveries');
    await page.getByRole('button', { name: /^Redrive all failed/ }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /Requeued \d+ of \d+/ })
      .waitFor();
    for (const id of ids) await conversionState(id, 'delivered');
    await context.close();
  });

  it('fills the global template from a tracker preset, and adds a per-event template', async () => {
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await open(page, '#/accounts/acme', 'Account acme');
    await page.getByLabel('Tracker', { exact: true }).selectOption('voluum');
    await page.getByLabel('Tracker address').fill('https://trk.example.com');
    await page.getByRole('button', { name: 'Use for the global template' }).click();
    await expect
      .poll(() => page.getByLabel('Global template').inputValue())
      .toMatch(/^https:\/\/trk\.example\.com\/postback\?.*\{click_id\}/);
    await expect
      .poll(() => page.locator('.template-row output').first().textContent())
      .toContain('https://trk.example.com/postback?');
    // Not saved: put the working template back before adding an event's.
    await page.getByLabel('Global template').fill(`${tracker.origin}/pb?cid={click_id}`);
    await page.getByLabel('Kind').selectOption('event');
    await page.getByLabel('Event name or offer id').fill('lead');
    await page.getByRole('button', { name: 'Add template' }).click();
    const lead = page.getByLabel('Event “lead” template');
    await lead.fill(`${tracker.origin}/lead?cid={click_id}&ev={event}`);
    await expect
      .poll(() => page.locator('.template-row output').nth(1).textContent())
      .toContain(`${tracker.origin}/lead?cid=example-click-1&ev=conversion`);
    await page.getByRole('button', { name: 'Save account' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    expect((await relay.request({ url: '/v1/accounts/acme', admin: true })).body.postback).toEqual({
      url: `${tracker.origin}/pb?cid={click_id}`,
      events: { lead: `${tracker.origin}/lead?cid={click_id}&ev={event}` },
    });
    await expectAccessible(page, 'account editor with an event template');
    await context.close();
  });

  it('fires a test postback and shows the tracker’s answer', async () => {
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await open(page, '#/accounts/acme', 'Account acme');
    const before = tracker.hits.length;
    await page.getByRole('button', { name: 'Test fire' }).click();
    await page.getByRole('heading', { name: 'The tracker answered' }).waitFor();
    const result = (await page.locator('.test-result').textContent())!;
    expect(result).toContain('200');
    expect(result).toContain('OK tracked');
    expect(result).toContain('delivered');
    expect(tracker.hits.slice(before).some((hit) => hit.query.get('cid') === 'example-click-1')).toBe(true);
    await screenshot(page, 'test-fire');
    await context.close();
  });

  it('pauses and resumes a host', async () => {
    const host = new URL(tracker.origin).host;
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await open(page, '#/hosts', 'Hosts');
    await expectAccessible(page, 'hosts');
    await page.getByRole('button', { name: `Pause ${host}` }).click();
    await page.getByRole('button', { name: `Resume ${host}` }).waitFor();
    expect((await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body).toMatchObject({ paused: true });
    expect(await page.getByRole('row').filter({ hasText: host }).textContent()).toContain('paused');
    await screenshot(page, 'hosts');
    await page.getByRole('button', { name: `Resume ${host}` }).click();
    await page.getByRole('button', { name: `Pause ${host}` }).waitFor();
    expect((await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body).toMatchObject({ paused: false });
    await context.close();
  });

  it('shows a refused postback on the Rejected page and in the overview', async () => {
    expect((await relay.request({ url: '/postback/net?key=wrong-key-000&click_id=click-rej-1' })).status).toBe(401);
    const { context, page } = await signedIn(ADMIN_TOKEN);
    const counts = page.getByRole('table', { name: 'Counts' });
    expect(await counts.getByRole('row').filter({ hasText: 'Rejected' }).textContent()).toMatch(/Rejected\s*1\s*1/);
    expect(await counts.getByRole('row').filter({ hasText: 'Accepted' }).textContent()).toMatch(/Accepted\s*[1-9]/);
    await screenshot(page, 'overview');
    await open(page, '#/rejections', 'Rejected postbacks');
    const table = page.getByRole('table', { name: /Rejected postbacks/ });
    const text = (await table.textContent())!;
    expect(text).toContain('401 unauthorized');
    expect(text).toContain('click_id=click-rej-1');
    expect(text).not.toContain('wrong-key-000');
    await expectAccessible(page, 'rejections');
    await screenshot(page, 'rejections');
    await context.close();
  });

  it('works from the keyboard: sign in with Enter, focus follows navigation, a host paused and resumed with keys', async () => {
    const host = new URL(tracker.origin).host;
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    watch(page);
    await page.goto(`${origin}/console`);
    // The token field has focus once the form is drawn (after the session check); Enter submits.
    await page.getByLabel('Admin or viewer token').waitFor();
    await expect.poll(() => page.evaluate('document.activeElement.name')).toBe('token');
    await page.keyboard.type(ADMIN_TOKEN);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    const focused = () => page.evaluate('document.activeElement.textContent');
    await expect.poll(focused).toBe('Overview');
    await page.getByRole('link', { name: 'Hosts' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Hosts' }).waitFor();
    await expect.poll(focused).toBe('Hosts');
    await page.getByRole('button', { name: `Pause ${host}` }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: `Resume ${host}` }).waitFor();
    // Focus lands on the button that undoes it, so Enter again resumes.
    await expect.poll(focused).toBe('Resume');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: `Pause ${host}` }).waitFor();
    expect((await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body).toMatchObject({ paused: false });
    await context.close();
  });

  it('shows sources with the URL to paste, the change history, and passes axe there', async () => {
    const { context, page } = await signedIn(ADMIN_TOKEN);
    await open(page, '#/sources', 'Sources');
    const url = page.getByLabel('Postback URL for source net');
    await expect.poll(() => url.inputValue()).toContain('/postback/net');
    await expectAccessible(page, 'sources');
    // A new source from the form: it reaches only the account it was given.
    await page.getByLabel('Source id').fill('shop');
    await page.getByLabel('Key', { exact: true }).fill('shop-key-0123456');
    await page.getByLabel('Default account').fill('acme');
    await page.getByLabel('Accounts it may reach').fill('acme');
    await page.getByRole('button', { name: 'Save source' }).click();
    await page.getByText('Saved source shop.').waitFor();
    await page.getByRole('heading', { level: 2, name: 'Source shop' }).waitFor();
    // The page is drawn anew with the new source; focus goes to what the save said, not to the page's top.
    await expect.poll(() => page.evaluate('document.activeElement.textContent')).toBe('Saved source shop.');
    await screenshot(page, 'sources');
    expect((await relay.request({ url: '/v1/sources/shop', admin: true })).body).toMatchObject({
      default_account: 'acme',
      accounts: ['acme'],
    });
    const elsewhere = await relay.request({ url: '/postback/shop?key=shop-key-0123456&click_id=form-1&account=other' });
    expect(elsewhere.body).toMatchObject({ status: 'unattributed', reason: 'account_not_allowed' });
    await open(page, '#/changes', 'Changes');
    expect(await page.getByRole('table', { name: 'Admin changes' }).textContent()).toContain('PUT /v1/accounts/acme');
    await expectAccessible(page, 'changes');
    await open(page, '#/accounts', 'Accounts');
    await expectAccessible(page, 'accounts');
    await open(page, '#/conversions', 'Conversions');
    await page.getByRole('table', { name: /Conversions/ }).waitFor();
    await expectAccessible(page, 'conversions');
    await screenshot(page, 'conversions');
    await context.close();
  });

  it('a viewer sees no enabled control that changes anything, and the server refuses a change with the viewer session', async () => {
    const host = new URL(tracker.origin).host;
    const { context, page } = await signedIn(VIEWER_TOKEN);
    expect(await page.getByText('Signed in: viewer (read-only)').isVisible()).toBe(true);
    const CHANGES =
      /^(Pause|Resume|Reset circuit|Redrive|Redrive selected|Redrive all failed.*|Save account|Test fire|Add template|Use for the global template|Open editor)$/;
    for (const [hash, heading] of [
      ['#/hosts', 'Hosts'],
      ['#/failed', 'Failed deliveries'],
      ['#/rejections', 'Rejected postbacks'],
      ['#/accounts', 'Accounts'],
      ['#/accounts/acme', 'Account acme'],
      ['#/conversions', 'Conversions'],
    ] as const) {
      await open(page, hash, heading);
      const buttons = await page
        .locator('main button')
        .evaluateAll((els) =>
          els.map((el) => ({ text: el.textContent!.trim(), disabled: (el as unknown as { disabled: boolean }).disabled })),
        );
      const change = buttons.filter((b) => CHANGES.test(b.text));
      if (hash === '#/hosts' || hash === '#/accounts/acme') expect(change.length, hash).toBeGreaterThan(0);
      expect(
        change.filter((b) => !b.disabled),
        hash,
      ).toEqual([]);
      if (hash === '#/accounts/acme') expect(await page.getByLabel('Global template').isDisabled()).toBe(true);
      await expectAccessible(page, `viewer ${hash}`);
    }
    const refused = await page.evaluate(async (h) => {
      const session = (await (await fetch('/console/session')).json()) as { csrf: string };
      const response = await fetch(`/v1/hosts/${h}/pause`, { method: 'POST', headers: { 'x-csrf-token': session.csrf } });
      return { status: response.status, body: await response.json() };
    }, host);
    expect(refused).toEqual({ status: 403, body: { error: 'forbidden', message: 'the viewer token may only read' } });
    expect((await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body).toMatchObject({ paused: false });
    await context.close();
  });

  it('refuses a mutation with the session cookie but without the CSRF header', async () => {
    const host = new URL(tracker.origin).host;
    const { context, page } = await signedIn(ADMIN_TOKEN);
    const refused = await page.evaluate(async (h) => {
      const response = await fetch(`/v1/hosts/${h}/pause`, { method: 'POST' });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, host);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('csrf_failed');
    expect((await relay.request({ url: `/v1/hosts/${host}`, admin: true })).body).toMatchObject({ paused: false });
    // Signing out ends the session for the API too.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/v1/hosts')).status)).toBe(401);
    await context.close();
  });

  it('logged no error in any page: no CSP violation, no failed module load, no script error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
