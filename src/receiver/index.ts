export { DEFAULT_PARAM_ALIASES, mapParams, type MappedFields, type MappedParams } from './param-mapping.js';
export {
  numberToDecimalText,
  parseConversionInput,
  type ConversionInputResult,
  type FieldError,
  type ParsedConversionFields,
} from './conversion-input.js';
export { conversionIdentity, dedupeKey } from './dedupe-key.js';
