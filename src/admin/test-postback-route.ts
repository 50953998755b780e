import type { AuditLog } from '../audit/audit-log.js';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AccountConfig, TemplateLevel } from '../domain/account.js';
import type { RecordStore } from '../store/record-store.js';
import type { TestResultStore } from '../store/test-results.js';
import type { AttemptResult, DeliveryClient } from '../delivery/index.js';
import { NotFoundError, UnprocessableError } from '../errors.js';
import { redactUrl } from '../audit/redact-url.js';
import { listTestsRoute, testPostbackRoute, type TestPostbackInput } from './test-postback-schema.js';
import { planTestPostback } from './test-postback.js';

export interface TestResponse {
  status?: number;
  error?: string;
  error_code?: string;
  /** How a real delivery would have taken this answer: delivered, retry or failed. */
  outcome: AttemptResult['outcome'];
  latency_ms: number;
  body: string;
}

/** One test as kept in Redis for `GET /v1/accounts/:id/tests`; URLs redacted like the audit. */
export interface TestRecord {
  at: string;
  event: string;
  offer_id?: string;
  dry_run: boolean;
  level: TemplateLevel | null;
  message?: string;
  url?: string;
  response?: TestResponse;
  results?: Array<{ url: string; response?: TestResponse }>;
}

export interface TestPostbackRouteDeps {
  accounts: RecordStore<AccountConfig>;
  /** The workers' client, so a test meets the same address policy, timeout and redirect rules. */
  client: DeliveryClient;
  auditLog: AuditLog;
  results: TestResultStore<TestRecord>;
  now?: () => number;
}

/**
 * `POST /v1/accounts/:id/test` fires (or with `dry_run` only renders) the
 * postback a conversion of that offer and event would get, and
 * `GET /v1/accounts/:id/tests` shows the last ones.
 *
 * When no template applies (no postback for the event, or the offer is
 * disabled) the answer is 422 with `error` `no_postback` or `suppressed` and a
 * message saying what to configure: there is nothing to test, and a script
 * checking "is my postback set up?" should see a failure, not a 200.
 */
export function registerTestPostbackRoutes(app: FastifyInstance, deps: TestPostbackRouteDeps): void {
  const now = deps.now ?? Date.now;

  app.post<{ Params: { id: string }; Body: TestPostbackInput }>('/v1/accounts/:id/test', testPostbackRoute, async (request) => {
    const accountId = request.params.id;
    const input = request.body;
    const account = await deps.accounts.get(accountId);
    if (!account) throw new NotFoundError(`account ${accountId}`);
    const startedAt = now();
    const plan = planTestPostback(accountId, account, input, { nonce: randomBytes(4).toString('hex'), nowMs: startedAt });
    const dryRun = input.dry_run === true;
    const common = {
      at: new Date(startedAt).toISOString(),
      event: plan.event,
      ...(plan.offer_id !== undefined ? { offer_id: plan.offer_id } : {}),
      dry_run: dryRun,
    };
    // The audit logger's message key is `event` ("attempt", "test"): the conversion event goes by another name there.
    const { event: conversionEvent, ...auditCommon } = common;
    const audit = { test: true, account: accountId, conversion_event: conversionEvent, ...auditCommon };

    if (plan.outcome !== 'deliver') {
      deps.auditLog.info({ ...audit, level: null, outcome: plan.outcome, message: plan.message }, 'test');
      await deps.results.add(accountId, { ...common, level: null, message: plan.message });
      throw new UnprocessableError(plan.outcome, plan.message);
    }

    const responses = dryRun
      ? plan.urls.map(() => undefined)
      : await Promise.all(plan.urls.map(async (url) => present(await deps.client.send(url))));
    for (const [index, url] of plan.urls.entries()) {
      deps.auditLog.info({ ...audit, level: plan.level, url: redactUrl(url), ...responses[index] }, 'test');
    }
    const results = plan.urls.map((url, index) => ({ url, ...(responses[index] ? { response: responses[index] } : {}) }));
    const answer = {
      account: accountId,
      level: plan.level,
      ...results[0],
      dry_run: dryRun,
      values: plan.values,
      // A fan-out level sends several pings; the first is shown above, all are listed here.
      ...(results.length > 1 ? { results } : {}),
    };
    const redacted = results.map((result) => ({ ...result, url: redactUrl(result.url) }));
    await deps.results.add(accountId, {
      ...common,
      level: plan.level,
      ...redacted[0],
      ...(redacted.length > 1 ? { results: redacted } : {}),
    });
    return answer;
  });

  app.get<{ Params: { id: string } }>('/v1/accounts/:id/tests', listTestsRoute, async (request) => {
    if (!(await deps.accounts.get(request.params.id))) throw new NotFoundError(`account ${request.params.id}`);
    return { tests: await deps.results.list(request.params.id) };
  });
}

function present(result: AttemptResult): TestResponse {
  return {
    ...(result.status !== undefined ? { status: result.status } : {}),
    ...(result.error !== undefined ? { error: result.error } : {}),
    ...(result.errorCode !== undefined ? { error_code: result.errorCode } : {}),
    outcome: result.outcome,
    latency_ms: Math.round(result.latencyMs),
    body: result.body,
  };
}
