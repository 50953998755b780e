import { isIP } from 'node:net';
import type { AccountConfig, PostbackLevel, UrlTemplates } from '../domain/account.js';
import { SAMPLE_VALUES, checkTemplate, renderTemplate } from '../templates/index.js';
import type { AddressPolicy } from '../delivery/address-policy.js';
import type { FieldProblem } from '../errors.js';

/**
 * Checks every template of an account as it is saved: unknown macros and
 * non-URLs are errors naming the path; a template with nothing to match on
 * (no click id) is a warning, since it is accepted but rarely what is meant.
 * A host that is a literal address the delivery guard would refuse is an
 * error too: better told now than found as a failed delivery later.
 */
export function checkAccountTemplates(
  account: AccountConfig,
  deps: { addressPolicy: AddressPolicy },
): { errors: FieldProblem[]; warnings: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const visit = (path: string, templates: UrlTemplates | undefined): void => {
    if (templates === undefined) return;
    const list = typeof templates === 'string' ? [templates] : templates;
    list.forEach((text, index) => {
      const at = typeof templates === 'string' ? path : `${path}.${index}`;
      const result = checkTemplate(text);
      const refused = result.ok ? refusedLiteralHost(text, deps.addressPolicy) : undefined;
      if (!result.ok) errors.push({ path: at, message: result.message });
      else if (refused) errors.push({ path: at, message: refused });
      else for (const warning of result.warnings) warnings.push({ path: at, message: warning });
    });
  };
  const visitLevel = (prefix: string, level: PostbackLevel | undefined): void => {
    if (!level) return;
    visit(`${prefix}.url`, level.url);
    for (const [event, entry] of Object.entries(level.events ?? {})) {
      // The long form `{url, statuses, status_map}` holds its templates under `url`.
      if (typeof entry === 'string' || Array.isArray(entry)) visit(`${prefix}.events.${event}`, entry);
      else visit(`${prefix}.events.${event}.url`, entry.url);
    }
  };
  visitLevel('postback', account.postback);
  for (const [offerId, offer] of Object.entries(account.offers ?? {})) visitLevel(`offers.${offerId}`, offer);
  return { errors, warnings };
}

/**
 * Only IP literals are judged here: a hostname is not resolved at save time,
 * since its address may change; the delivery guard checks what is actually
 * connected to. The URL parser has already normalised the odd spellings
 * (`0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`), so those are caught too.
 */
function refusedLiteralHost(text: string, policy: AddressPolicy): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(renderTemplate(text, SAMPLE_VALUES)).hostname;
  } catch {
    return undefined;
  }
  const address = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  if (isIP(address) === 0) return undefined;
  const verdict = policy.check(address);
  return verdict.allowed ? undefined : `${verdict.reason}: deliveries there are refused`;
}
