import { CONVERSION_FIELDS, type ConversionField } from '../domain/conversion.js';
import { mapStatus } from '../templates/status-rules.js';
import { parseConversionInput, type FieldError, type FieldWarning, type ParsedConversionFields } from './conversion-input.js';
import { mapParams, namesOf, type InboundNames } from './param-mapping.js';

const FIELD_ORDER: readonly ConversionField[] = CONVERSION_FIELDS;

/** How a source's postbacks are read: its names, and the words its network uses for statuses. */
export interface InboundPlan extends InboundNames {
  /** The network's status -> the canonical one (matched without regard to case); others pass as received. */
  statusMap?: Readonly<Record<string, string>>;
}

export type ReadConversionResult =
  | {
      ok: true;
      fields: ParsedConversionFields;
      /** Optional values dropped (malformed, or unreplaced macros), for the answer, the record and the metric. */
      warnings: FieldWarning[];
      /** Why there is no click id, when there is none: the conversion is kept unattributed with it. */
      noClickId?: string;
    }
  | { ok: false; errors: FieldError[] };

/**
 * One inbound request's parameters as canonical conversion fields: mapped by
 * the source's names, validated, statuses put in canonical words. Unreplaced
 * macros count as absent; for a click id that makes the conversion
 * unattributed with a reason naming the token, never a ping carrying it.
 */
export function readConversion(raw: Record<string, unknown>, plan?: InboundPlan): ReadConversionResult {
  const mapped = mapParams(raw, plan);
  const parsed = parseConversionInput(mapped.fields);
  if (!parsed.ok) return parsed;
  const warnings = [...parsed.warnings];
  for (const [field, token] of Object.entries(mapped.tokens) as Array<[ConversionField, { name: string; value: string }]>) {
    if (field === 'click_id' || mapped.fields[field] !== undefined) continue;
    warnings.push({ field, value: token.value, message: `unreplaced macro in parameter "${token.name}"; ignored` });
  }
  // In the fields' canonical order, whichever check found them.
  warnings.sort((a, b) => FIELD_ORDER.indexOf(a.field as ConversionField) - FIELD_ORDER.indexOf(b.field as ConversionField));
  let fields = parsed.fields;
  if (plan?.statusMap && fields.status !== undefined) {
    const status = mapStatus(plan.statusMap, fields.status);
    if (status !== undefined && status !== fields.status) fields = { ...fields, status };
  }
  if (fields.click_id !== undefined) return { ok: true, fields, warnings };
  const token = mapped.tokens.click_id;
  const noClickId = token
    ? `click_id is an unreplaced macro "${token.value}" (parameter "${token.name}"): the network had no value for it`
    : `no click id: the postback carries none of ${namesOf('click_id', plan).join(', ')}`;
  return { ok: true, fields, warnings, noClickId };
}
