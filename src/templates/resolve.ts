import type {
  AccountConfig,
  EventTemplates,
  PostbackLevel,
  Resolution,
  StatusRules,
  TemplateLevel,
  UrlTemplates,
} from '../domain/account.js';
import { templatesOf } from './template.js';
import { statusFires } from './status-rules.js';

// Offer ids and event names come from inbound requests: a plain `obj[key]`
// lookup would find `__proto__`, `constructor` or `toString` on Object.prototype.
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  if (record === undefined || record === null || typeof record !== 'object') return undefined;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Status rules in force somewhere, with the config path they were written at (for the operator's reason). */
interface Rules {
  statuses?: string[] | undefined;
  statusesAt: string;
  statusMap?: Record<string, string> | undefined;
}

interface Candidate {
  level: TemplateLevel;
  templates: UrlTemplates | undefined;
  rules: Rules;
}

function rulesOf(level: StatusRules | undefined, path: string): Rules {
  return { statuses: level?.statuses, statusesAt: path, statusMap: level?.status_map };
}

/**
 * An event entry is the templates alone, which take the status rules of the
 * level they sit in (`postback` or the offer), or the long form
 * `{url, statuses?, status_map?}`, whose own rules replace the enclosing ones
 * (each of the two separately; nothing is merged).
 */
function eventCandidate(
  level: TemplateLevel,
  parent: PostbackLevel | undefined,
  parentPath: string,
  event: string,
): Candidate {
  const inherited = rulesOf(parent, parentPath);
  const entry: EventTemplates | undefined = own(parent?.events, event);
  if (entry === undefined || entry === null || typeof entry === 'string' || Array.isArray(entry)) {
    return { level, templates: entry ?? undefined, rules: inherited };
  }
  const path = `${parentPath}.events.${event}`;
  return {
    level,
    templates: entry.url,
    rules: {
      statuses: entry.statuses ?? inherited.statuses,
      statusesAt: entry.statuses !== undefined ? path : inherited.statusesAt,
      statusMap: entry.status_map ?? inherited.statusMap,
    },
  };
}

/**
 * Which templates apply to a conversion, first match wins: offer+event,
 * offer, global+event, global. A disabled offer suppresses delivery before
 * anything else is considered; an empty list does not count as a match.
 *
 * Status rules are judged after the match, at the level that matched only: a
 * level whose `statuses` exclude the conversion's status suppresses it (with
 * the reason) rather than letting a later level fire. An override is the
 * operator's word for that offer or event, so the global postback must not
 * speak for it behind its back.
 */
export function resolvePostback(
  account: AccountConfig,
  offerId: string | undefined,
  event: string,
  status?: string,
): Resolution {
  const offer = offerId === undefined ? undefined : own(account.offers, offerId);
  if (offer?.disabled === true) return { outcome: 'suppressed' };

  const offerPath = `offers.${offerId ?? ''}`;
  const candidates: Candidate[] = [
    eventCandidate('offer_event', offer, offerPath, event),
    { level: 'offer', templates: offer?.url, rules: rulesOf(offer, offerPath) },
    eventCandidate('global_event', account.postback, 'postback', event),
    { level: 'global', templates: account.postback?.url, rules: rulesOf(account.postback, 'postback') },
  ];
  for (const { level, templates, rules } of candidates) {
    const urls = templatesOf(templates);
    if (urls.length === 0) continue;
    if (!statusFires(rules.statuses, status)) {
      return {
        outcome: 'suppressed',
        level,
        reason: `status "${status}" does not fire at level ${level} (${rules.statusesAt}.statuses: ${rules.statuses!.join(', ')})`,
      };
    }
    return { outcome: 'deliver', level, urls, ...(rules.statusMap !== undefined ? { statusMap: rules.statusMap } : {}) };
  }
  return { outcome: 'no_postback' };
}
