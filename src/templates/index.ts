export { CLICK_ID_MACRO, MACRO_ALIASES, MACRO_NAMES, canonicalMacro, type MacroName, type MacroValues } from './macros.js';
export {
  MAX_TEMPLATE_LENGTH,
  NO_CLICK_ID_WARNING,
  SAMPLE_VALUES,
  TemplateError,
  checkTemplate,
  compileCached,
  compileTemplate,
  renderTemplate,
  templatesOf,
  type CompiledTemplate,
  type TemplateCheck,
} from './template.js';
export { resolvePostback, templateAt } from './resolve.js';
export { macroValuesOf, withStatusMap } from './macro-values.js';
export { STATUS_MAP_FALLBACK, mapStatus, statusFires, statusKey } from './status-rules.js';
