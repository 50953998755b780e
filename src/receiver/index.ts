export {
  DEFAULT_PARAM_ALIASES,
  mapParams,
  namesOf,
  type InboundNames,
  type MappedFields,
  type MappedParams,
} from './param-mapping.js';
export { readConversion, type InboundPlan, type ReadConversionResult } from './read-conversion.js';
export { isUnreplacedMacro } from './macro-token.js';
export {
  numberToDecimalText,
  parseConversionInput,
  type ConversionInputResult,
  type FieldError,
  type FieldWarning,
  type ParsedConversionFields,
} from './conversion-input.js';
export { conversionIdentity, dedupeKey } from '../domain/conversion-identity.js';
