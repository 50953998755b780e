import { CLICK_ID_MACRO, canonicalMacro, type MacroName, type MacroValues } from './macros.js';

export class TemplateError extends Error {
  /** The offending macro as written, braces included (`{clik_id}`). */
  readonly macro?: string;

  constructor(message: string, macro?: string) {
    super(message);
    this.name = 'TemplateError';
    if (macro !== undefined) this.macro = macro;
  }
}

/**
 * A template split once into literal text and macro slots:
 * `literals[0] slots[0] literals[1] … slots[n-1] literals[n]`.
 */
export interface CompiledTemplate {
  readonly text: string;
  readonly literals: readonly string[];
  /** Canonical names, in order of appearance; aliases already resolved. */
  readonly slots: readonly MacroName[];
}

const MACRO_PATTERN = /\{([A-Za-z0-9_]+)\}/g;

/** Parses a template. Throws TemplateError naming the first unknown macro. */
export function compileTemplate(text: string): CompiledTemplate {
  const literals: string[] = [];
  const slots: MacroName[] = [];
  let last = 0;
  for (const match of text.matchAll(MACRO_PATTERN)) {
    const written = match[0];
    const canonical = canonicalMacro(match[1] ?? '');
    if (canonical === undefined) throw new TemplateError(`unknown macro ${written}`, written);
    literals.push(text.slice(last, match.index));
    slots.push(canonical);
    last = match.index + written.length;
  }
  literals.push(text.slice(last));
  return Object.freeze({ text, literals: Object.freeze(literals), slots: Object.freeze(slots) });
}

// Workers render the same handful of account templates for every conversion;
// parsing once per distinct text keeps the hot path to string concatenation.
// Bounded so that a flood of distinct templates cannot grow memory without limit.
const CACHE_LIMIT = 1000;
const cache = new Map<string, CompiledTemplate>();

/** compileTemplate through a bounded cache (oldest entry evicted first). Failures are not cached. */
export function compileCached(text: string): CompiledTemplate {
  const hit = cache.get(text);
  if (hit !== undefined) return hit;
  const compiled = compileTemplate(text);
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(text, compiled);
  return compiled;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function encodeValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    // encodeURIComponent throws URIError on a lone surrogate (reachable via a
    // JSON body's "\ud800"); one malformed sub id must not make the delivery unrenderable.
    return encodeURIComponent(value.replace(LONE_SURROGATE, '\uFFFD'));
  }
}

/**
 * Substitutes each macro with its percent-encoded value; a missing value is
 * the empty string; literal text is kept exactly as written. Throws
 * TemplateError for an unknown macro when given raw text.
 */
export function renderTemplate(template: CompiledTemplate | string, values: MacroValues): string {
  const compiled = typeof template === 'string' ? compileCached(template) : template;
  const { literals, slots } = compiled;
  let out = literals[0] ?? '';
  for (let i = 0; i < slots.length; i++) {
    const value = values[slots[i] as MacroName];
    if (value !== undefined && value !== null && value !== '') out += encodeValue(String(value));
    out += literals[i + 1] ?? '';
  }
  return out;
}

export const MAX_TEMPLATE_LENGTH = 2048;

export const NO_CLICK_ID_WARNING =
  'no click id macro ({click_id} or an alias): the tracker will have nothing to match the conversion on';

// Placeholder values only used to see whether the rendered text is a URL; plain
// word characters so that they are valid wherever a macro may sit (host, path, query).
export const SAMPLE_VALUES: MacroValues = {
  click_id: 'sampleclick',
  payout: '1.50',
  amount: '10.00',
  currency: 'USD',
  offer_id: '42',
  event: 'conversion',
  order_id: 'order1',
  conversion_id: 'conv1',
  status: 'approved',
  account: 'acct1',
  sub1: 's1',
  sub2: 's2',
  sub3: 's3',
  sub4: 's4',
  sub5: 's5',
  timestamp: '1700000000',
};

export type TemplateCheck = { ok: true; warnings: string[] } | { ok: false; message: string };

/** Save-time validation of one template, with messages meant for the operator. */
export function checkTemplate(text: string): TemplateCheck {
  if (typeof text !== 'string' || text.length === 0) return { ok: false, message: 'must not be empty' };
  if (text.length > MAX_TEMPLATE_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_TEMPLATE_LENGTH} characters` };
  }
  let compiled: CompiledTemplate;
  try {
    compiled = compileTemplate(text);
  } catch (err) {
    if (err instanceof TemplateError) return { ok: false, message: err.message };
    throw err;
  }
  // A pasted template often carries a stray newline or space; the URL parser
  // would silently trim or encode it, so the URL sent would not be the one saved.
  if (/[\s\u0000-\u001F\u007F]/.test(text)) {
    return { ok: false, message: 'must not contain spaces or control characters' };
  }
  const sample = renderTemplate(compiled, SAMPLE_VALUES);
  // The scheme check is on the text itself: WHATWG URL parsing accepts `https:host`
  // or `https:/host` and would hide a mangled template.
  if (!/^https?:\/\/[^/?#]/i.test(sample)) return { ok: false, message: 'must be an absolute http or https URL' };
  try {
    const url = new URL(sample);
    if (url.hostname === '') return { ok: false, message: 'must be an absolute http or https URL' };
  } catch {
    return { ok: false, message: 'must be an absolute http or https URL' };
  }
  const warnings: string[] = [];
  if (!compiled.slots.includes(CLICK_ID_MACRO)) warnings.push(NO_CLICK_ID_WARNING);
  return { ok: true, warnings };
}

/** One template or a list, as a list; empty strings count as absent. */
export function templatesOf(value: string | string[] | undefined): string[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((t): t is string => typeof t === 'string' && t.length > 0);
}
