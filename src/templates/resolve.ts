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
function eventCandidate(level: TemplateLevel, parent: PostbackLevel | undefined, parentPath: string, event: string): Candidate {
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
export function resolvePostback(account: AccountConfig, offerId: string | undefined, event: string, status?: string): Resolution {
  const offer = offerId === undefined ? undefined : own(account.offers, offerId);
  if (offer?.disabled === true) return { outcome: 'suppressed' };

  for (const { level, templates, rules } of candidatesOf(account, offerId, event)) {
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

function candidatesOf(account: AccountConfig, offerId: string | undefined, event: string): Candidate[] {
  const offer = offerId === undefined ? undefined : own(account.offers, offerId);
  const offerPath = `offers.${offerId ?? ''}`;
  return [
    eventCandidate('offer_event', offer, offerPath, event),
    { level: 'offer', templates: offer?.url, rules: rulesOf(offer, offerPath) },
    eventCandidate('global_event', account.postback, 'postback', event),
    { level: 'global', templates: account.postback?.url, rules: rulesOf(account.postback, 'postback') },
  ];
}

/**
 * The template now at one level and list position, for a redrive: a fixed
 * template replaces the broken one it was written over. None when the offer
 * is disabled, the level holds no template, or the list is now shorter.
 */
export function templateAt(
  account: AccountConfig,
  offerId: string | undefined,
  event: string,
  level: TemplateLevel,
  position: number,
): { template: string; statusMap?: Record<string, string> } | undefined {
  const offer = offerId === undefined ? undefined : own(account.offers, offerId);
  if (offer?.disabled === true) return undefined;
  const candidate = candidatesOf(account, offerId, event).find((entry) => entry.level === level);
  const template = candidate ? templatesOf(candidate.templates)[position] : undefined;
  if (template === undefined) return undefined;
  return { template, ...(candidate?.rules.statusMap !== undefined ? { statusMap: candidate.rules.statusMap } : {}) };
}
