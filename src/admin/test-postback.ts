import type { AccountConfig, TemplateLevel } from '../domain/account.js';
import { DEFAULT_EVENT } from '../domain/conversion.js';
import { renderTemplate, resolvePostback, withStatusMap, type MacroValues } from '../templates/index.js';

export interface TestPostbackRequest {
  offer_id?: string;
  event?: string;
  values?: MacroValues;
}

export type TestPostbackPlan = { event: string; offer_id?: string } & (
  | { outcome: 'deliver'; level: TemplateLevel; urls: string[]; values: MacroValues }
  | { outcome: 'suppressed' | 'no_postback'; message: string }
);

/**
 * Values a test ping carries where the operator gave none: plainly fake
 * (`test-click-…`) so nobody mistakes the tracker's record for real revenue,
 * and unique per test so the tracker does not drop a second test as a duplicate.
 */
export function sampleValues(accountId: string, nonce: string, nowMs: number): MacroValues {
  return {
    click_id: `test-click-${nonce}`,
    payout: '1.00',
    amount: '10.00',
    currency: 'USD',
    offer_id: 'test-offer',
    event: DEFAULT_EVENT,
    order_id: `test-order-${nonce}`,
    conversion_id: `test-conversion-${nonce}`,
    status: 'approved',
    account: accountId,
    sub1: 'test-sub1',
    sub2: 'test-sub2',
    sub3: 'test-sub3',
    sub4: 'test-sub4',
    sub5: 'test-sub5',
    timestamp: String(Math.floor(nowMs / 1000)),
  };
}

/**
 * What a test postback would send: the level that matches, exactly as for a
 * real conversion of that offer and event, and the rendered URLs.
 */
export function planTestPostback(
  accountId: string,
  account: AccountConfig,
  request: TestPostbackRequest,
  context: { nonce: string; nowMs: number },
): TestPostbackPlan {
  const offerId = request.offer_id ?? request.values?.offer_id;
  const event = request.event ?? request.values?.event ?? DEFAULT_EVENT;
  // The sample status unless the operator gave one, so status rules are judged as for a real conversion.
  const sample = sampleValues(accountId, context.nonce, context.nowMs);
  const status = request.values?.status ?? sample.status;
  const resolution = resolvePostback(account, offerId, event, status);
  const subject = { event, ...(offerId !== undefined ? { offer_id: offerId } : {}) };
  if (resolution.outcome === 'suppressed') {
    return {
      ...subject,
      outcome: 'suppressed',
      message:
        resolution.reason !== undefined
          ? `${resolution.reason}: no postback would be sent (give values.status to test another status)`
          : `offer ${offerId ?? ''} is disabled for account ${accountId}: no postback would be sent`,
    };
  }
  if (resolution.outcome === 'no_postback') {
    const forOffer = offerId === undefined ? '' : ` of offer ${offerId}`;
    return {
      ...subject,
      outcome: 'no_postback',
      message: `no postback of account ${accountId} applies to event "${event}"${forOffer}: set postback.url (the global postback) or a matching override`,
    };
  }
  const values: MacroValues = {
    ...sample,
    ...request.values,
    event,
    ...(offerId !== undefined ? { offer_id: offerId } : {}),
  };
  return {
    ...subject,
    outcome: 'deliver',
    level: resolution.level,
    urls: resolution.urls.map((template) => renderTemplate(template, withStatusMap(values, resolution.statusMap))),
    values,
  };
}
