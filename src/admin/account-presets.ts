import type { FieldProblem } from '../errors.js';
import { PRESET_NAMES, PresetError, presetTemplate } from '../templates/presets.js';

/**
 * Account input may give, wherever a URL template goes (`postback.url`,
 * `postback.events.X` or its `url` in the long form, `offers.N.url`,
 * `offers.N.events.X`, and inside a list at those places), `{"preset":"voluum","base_url":"https://trk.example.com"}`
 * instead of a string. This runs before validation and replaces each such
 * object by the rendered template, so the account is stored (and shown, and
 * edited later) as plain templates. Problems name the path of the object.
 * Anything that is not in the preset form is passed through for the schema to judge.
 */
export function expandAccountPresets(input: unknown): { value: unknown; errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  if (!isPlainObject(input)) return { value: input, errors };

  const expandOne = (object: Record<string, unknown>, path: string): unknown => {
    const extra = Object.keys(object).filter((key) => key !== 'preset' && key !== 'base_url');
    let message: string | undefined;
    if (extra.length > 0) message = `unknown field(s) in preset: ${extra.join(', ')}`;
    else if (typeof object.preset !== 'string') message = `"preset" is required, one of: ${PRESET_NAMES.join(', ')}`;
    else {
      try {
        return presetTemplate(object.preset, object.base_url as string);
      } catch (err) {
        if (!(err instanceof PresetError)) throw err;
        message = err.message;
      }
    }
    errors.push({ path, message });
    return object;
  };

  const expandTemplates = (value: unknown, path: string): unknown => {
    if (Array.isArray(value))
      return (value as unknown[]).map((item, index) => (isPlainObject(item) ? expandOne(item, `${path}.${index}`) : item));
    return isPlainObject(value) ? expandOne(value, path) : value;
  };

  // A per-event entry in its long form `{url, statuses?, status_map?}` keeps its rules; presets may stand in its url.
  const expandEvent = (value: unknown, path: string): unknown => {
    const longForm =
      isPlainObject(value) && Object.hasOwn(value, 'url') && !Object.hasOwn(value, 'preset') && !Object.hasOwn(value, 'base_url');
    return longForm ? { ...value, url: expandTemplates(value.url, `${path}.url`) } : expandTemplates(value, path);
  };

  const expandLevel = (level: unknown, prefix: string): unknown => {
    if (!isPlainObject(level)) return level;
    const out: Record<string, unknown> = { ...level };
    if (Object.hasOwn(level, 'url')) out.url = expandTemplates(level.url, `${prefix}.url`);
    if (isPlainObject(level.events)) {
      // Object.fromEntries defines own properties: an event named `__proto__` stays a plain key.
      out.events = Object.fromEntries(
        Object.entries(level.events).map(([event, value]) => [event, expandEvent(value, `${prefix}.events.${event}`)]),
      );
    }
    return out;
  };

  const value: Record<string, unknown> = { ...input };
  if (Object.hasOwn(input, 'postback')) value.postback = expandLevel(input.postback, 'postback');
  if (isPlainObject(input.offers)) {
    value.offers = Object.fromEntries(
      Object.entries(input.offers).map(([offerId, offer]) => [offerId, expandLevel(offer, `offers.${offerId}`)]),
    );
  }
  return { value, errors };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
