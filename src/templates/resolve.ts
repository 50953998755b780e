import type { AccountConfig, PostbackLevel, Resolution, TemplateLevel, UrlTemplates } from '../domain/account.js';
import { templatesOf } from './template.js';

// Offer ids and event names come from inbound requests: a plain `obj[key]`
// lookup would find `__proto__`, `constructor` or `toString` on Object.prototype.
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  if (record === undefined || record === null || typeof record !== 'object') return undefined;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function eventTemplates(level: PostbackLevel | undefined, event: string): UrlTemplates | undefined {
  return own(level?.events, event);
}

/**
 * Which templates apply to a conversion, first match wins: offer+event,
 * offer, global+event, global. A disabled offer suppresses delivery before
 * anything else is considered; an empty list does not count as a match.
 */
export function resolvePostback(account: AccountConfig, offerId: string | undefined, event: string): Resolution {
  const offer = offerId === undefined ? undefined : own(account.offers, offerId);
  if (offer?.disabled === true) return { outcome: 'suppressed' };

  const candidates: [TemplateLevel, UrlTemplates | undefined][] = [
    ['offer_event', eventTemplates(offer, event)],
    ['offer', offer?.url],
    ['global_event', eventTemplates(account.postback, event)],
    ['global', account.postback?.url],
  ];
  for (const [level, templates] of candidates) {
    const urls = templatesOf(templates);
    if (urls.length > 0) return { outcome: 'deliver', level, urls };
  }
  return { outcome: 'no_postback' };
}
