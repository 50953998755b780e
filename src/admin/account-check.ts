import type { AccountConfig, UrlTemplates } from '../domain/account.js';
import { checkTemplate } from '../templates/index.js';
import type { FieldProblem } from '../errors.js';

/**
 * Checks every template of an account as it is saved: unknown macros and
 * non-URLs are errors naming the path; a template with nothing to match on
 * (no click id) is a warning, since it is accepted but rarely what is meant.
 */
export function checkAccountTemplates(account: AccountConfig): { errors: FieldProblem[]; warnings: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const warnings: FieldProblem[] = [];
  const visit = (path: string, templates: UrlTemplates | undefined): void => {
    if (templates === undefined) return;
    const list = typeof templates === 'string' ? [templates] : templates;
    list.forEach((text, index) => {
      const at = typeof templates === 'string' ? path : `${path}.${index}`;
      const result = checkTemplate(text);
      if (!result.ok) errors.push({ path: at, message: result.message });
      else for (const warning of result.warnings) warnings.push({ path: at, message: warning });
    });
  };
  const visitLevel = (prefix: string, level: { url?: UrlTemplates; events?: Record<string, UrlTemplates> } | undefined): void => {
    if (!level) return;
    visit(`${prefix}.url`, level.url);
    for (const [event, templates] of Object.entries(level.events ?? {})) visit(`${prefix}.events.${event}`, templates);
  };
  visitLevel('postback', account.postback);
  for (const [offerId, offer] of Object.entries(account.offers ?? {})) visitLevel(`offers.${offerId}`, offer);
  return { errors, warnings };
}
