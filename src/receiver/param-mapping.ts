import { CONVERSION_FIELDS, type ConversionField } from '../domain/conversion.js';
import { isUnreplacedMacro } from './macro-token.js';

/**
 * Inbound parameter names each canonical field is read from when the source maps nothing else.
 * `subid` (Keitaro-format URLs, CPAlead, Prosper202) comes before `cid`, `transaction_id` and
 * `tid`: beside a `subid`, those are a creative id (CAKE `#cid#`), the network's own click id
 * (Everflow, TUNE) or a conversion id (Keitaro's `tid`), never the tracker's click id.
 */
export const DEFAULT_PARAM_ALIASES: Readonly<Record<ConversionField, readonly string[]>> = {
  click_id: ['click_id', 'clickid', 'subid', 'cid', 'transaction_id', 'tid'],
  event: ['event', 'goal'],
  payout: ['payout', 'sum', 'revenue'],
  amount: ['amount', 'sale_amount'],
  currency: ['currency'],
  offer_id: ['offer_id'],
  order_id: ['order_id', 'orderid'],
  conversion_id: ['conversion_id', 'txid'],
  status: ['status'],
  account: ['account', 'aff_id', 'affiliate_id'],
  sub1: ['sub1'],
  sub2: ['sub2'],
  sub3: ['sub3'],
  sub4: ['sub4'],
  sub5: ['sub5'],
};

/** The authentication parameter; it must never leak into a conversion (and from there into pings). */
const KEY_PARAM = 'key';

/** Raw, not yet validated values of the canonical fields; absent fields are omitted. */
export type MappedFields = Partial<Record<ConversionField, unknown>>;

/** An unreplaced macro found under one of a field's names, skipped as absent. */
export interface SkippedToken {
  name: string;
  value: string;
}

export interface MappedParams {
  fields: MappedFields;
  /** Per field, the first unreplaced macro met while looking for its value (set even when a later name had one). */
  tokens: Partial<Record<ConversionField, SkippedToken>>;
}

/**
 * Which inbound names a source reads. `params`: its own names per canonical
 * field, tried before the defaults (a network preset merged with the source's
 * explicit entries). `exclude`: default names this sender uses for something
 * else (a network's own click id, its publisher number), read as no field.
 */
export interface InboundNames {
  params?: Readonly<Record<string, readonly string[]>>;
  exclude?: readonly string[];
}

/** Per field, the lower-case inbound names to try, in order. */
type AliasTable = ReadonlyArray<readonly [ConversionField, readonly string[]]>;

const CANONICAL = new Set<string>(CONVERSION_FIELDS);

function buildTable(inbound?: InboundNames): AliasTable {
  const sourceAliases = inbound?.params;
  const own = new Map<ConversionField, string[]>();
  // A name the source assigns to one field must not also be picked up by another field's
  // defaults: a network that sends its campaign id as `cid` does not mean a click id by it.
  const claimed = new Set<string>();
  for (const name of inbound?.exclude ?? []) claimed.add(name.toLowerCase());
  if (sourceAliases) {
    for (const [field, names] of Object.entries(sourceAliases)) {
      if (!CANONICAL.has(field) || !Array.isArray(names)) continue;
      const list: string[] = [];
      for (const name of names) {
        if (typeof name !== 'string') continue;
        const lower = name.trim().toLowerCase();
        if (lower === '' || lower === KEY_PARAM || list.includes(lower)) continue;
        list.push(lower);
        claimed.add(lower);
      }
      own.set(field as ConversionField, list);
    }
  }
  return CONVERSION_FIELDS.map((field) => {
    const list = [...(own.get(field) ?? [])];
    for (const name of DEFAULT_PARAM_ALIASES[field]) {
      if (!list.includes(name) && !claimed.has(name)) list.push(name);
    }
    return [field, list] as const;
  });
}

const DEFAULT_TABLE = buildTable();
// Sources are loaded once and reused, so their tables are built once, not per request.
const tableCache = new WeakMap<InboundNames, AliasTable>();

function tableFor(names?: InboundNames): AliasTable {
  if (!names) return DEFAULT_TABLE;
  let table = tableCache.get(names);
  if (!table) {
    table = buildTable(names);
    tableCache.set(names, table);
  }
  return table;
}

const UPPER = /[A-Z]/;

/**
 * Most requests use lower-case names already; only when one does not is a
 * lower-cased index built. First occurrence wins when two names differ only in case.
 */
function lowerCaseIndex(raw: Record<string, unknown>): Map<string, unknown> | null {
  let index: Map<string, unknown> | null = null;
  for (const name in raw) {
    if (UPPER.test(name)) {
      index = new Map();
      break;
    }
  }
  if (!index) return null;
  for (const name of Object.keys(raw)) {
    const lower = name.toLowerCase();
    if (!index.has(lower)) index.set(lower, raw[name]);
  }
  return index;
}

function firstValue(value: unknown): unknown {
  return Array.isArray(value) ? value[0] : value;
}

function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string') return value.trim() !== '';
  return true;
}

/**
 * Picks each canonical field's value out of the inbound parameters: the
 * source's own names first, then the defaults; names match case-insensitively;
 * a repeated query name contributes its first value. A value that is an
 * unreplaced macro (`{sub1}`, `#s2#`, …) counts as absent and is reported in
 * `tokens`. Values are not validated here.
 */
export function mapParams(raw: Record<string, unknown>, names?: InboundNames): MappedParams {
  const table = tableFor(names);
  const index = lowerCaseIndex(raw);
  const fields: MappedFields = {};
  const tokens: MappedParams['tokens'] = {};
  for (const [field, candidates] of table) {
    for (const name of candidates) {
      let value: unknown;
      if (index) value = index.get(name);
      else if (Object.hasOwn(raw, name)) value = raw[name];
      else continue;
      value = firstValue(value);
      if (!isPresent(value)) continue;
      if (typeof value === 'string' && isUnreplacedMacro(value)) {
        tokens[field] ??= { name, value: value.trim() };
        continue;
      }
      fields[field] = value;
      break;
    }
  }
  return { fields, tokens };
}

/** The inbound names a field is read from, in order (for messages that tell a sender what was looked for). */
export function namesOf(field: ConversionField, names?: InboundNames): readonly string[] {
  return tableFor(names).find(([candidate]) => candidate === field)?.[1] ?? [];
}
