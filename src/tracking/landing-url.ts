import { SUB_FIELDS, type SubField } from '../domain/click.js';
import { canonicalMacro, checkTemplate, renderTemplate, type MacroName, type MacroValues } from '../templates/index.js';

/**
 * A landing URL is rendered at click time, when only the click is known:
 * its transaction id, offer, account and sub ids. A conversion macro
 * ({payout}, {event}…) would always render empty, so it is refused when the
 * offer is saved rather than silently dropped on every click.
 */
export const LANDING_MACROS: ReadonlySet<MacroName> = new Set<MacroName>(['click_id', 'offer_id', 'account', ...SUB_FIELDS]);

export const NO_TRANSACTION_ID_WARNING =
  'no {transaction_id} macro: the landing page never learns the transaction id, so its conversions cannot be attributed';

const ALLOWED_TEXT = '{transaction_id} (or {click_id}, {clickid}, {cid}, {tid}), {offer_id}, {account}, {sub1}…{sub5}';

const MACRO_PATTERN = /\{([A-Za-z0-9_]+)\}/g;

export type LandingTemplateCheck = { ok: true; warnings: string[] } | { ok: false; message: string };

/** Save-time validation of a landing URL template, with messages meant for the operator. */
export function checkLandingTemplate(text: string): LandingTemplateCheck {
  // The postback check already covers length, unknown macros, whitespace and URL shape.
  const base = checkTemplate(text);
  if (!base.ok) return base;
  const refused: string[] = [];
  let hasTransactionId = false;
  for (const match of text.matchAll(MACRO_PATTERN)) {
    const canonical = canonicalMacro(match[1] ?? '');
    if (canonical === 'click_id') hasTransactionId = true;
    if (canonical !== undefined && !LANDING_MACROS.has(canonical) && !refused.includes(match[0])) refused.push(match[0]);
  }
  if (refused.length > 0) {
    const list = refused.join(', ');
    return {
      ok: false,
      message: `${list} ${refused.length === 1 ? 'is' : 'are'} not known at click time; a landing URL may use ${ALLOWED_TEXT}`,
    };
  }
  return { ok: true, warnings: hasTransactionId ? [] : [NO_TRANSACTION_ID_WARNING] };
}

export interface LandingValues extends Partial<Record<SubField, string>> {
  transactionId: string;
  offerId: string;
  account?: string;
}

/** The landing URL for one click; values are percent-encoded, the template's own text is kept as written. */
export function renderLandingUrl(template: string, values: LandingValues): string {
  const macroValues: MacroValues = {
    click_id: values.transactionId,
    offer_id: values.offerId,
    account: values.account,
    sub1: values.sub1,
    sub2: values.sub2,
    sub3: values.sub3,
    sub4: values.sub4,
    sub5: values.sub5,
  };
  return renderTemplate(template, macroValues);
}
