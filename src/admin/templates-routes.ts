import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { MACRO_NAMES, SAMPLE_VALUES, checkTemplate, renderTemplate, type MacroValues } from '../templates/index.js';
import { PRESET_NAMES, PresetError, presetTemplate } from '../templates/presets.js';
import { listPresetsRoute, renderQuerySchema, renderTemplateRoute } from './templates-schemas.js';

/**
 * The account editor's live preview: a template judged as a save would
 * judge it and rendered with an example conversion, without saving anything.
 */
export function registerTemplateRoutes(app: FastifyInstance): void {
  app.get<{ Querystring: z.output<typeof renderQuerySchema> }>('/v1/templates/render', renderTemplateRoute, async (request) => {
    const query = request.query as Record<string, string | undefined>;
    let template = query.template;
    if (template === undefined) {
      try {
        template = presetTemplate(query.preset ?? '', query.base_url ?? '');
      } catch (err) {
        if (err instanceof PresetError) throw new ValidationError('invalid_query', [{ path: 'base_url', message: err.message }]);
        throw err;
      }
    }
    const values: MacroValues = { ...SAMPLE_VALUES };
    for (const name of MACRO_NAMES) if (query[name] !== undefined) values[name] = query[name];
    const check = checkTemplate(template);
    if (!check.ok) return { ok: false, template, error: check.message, warnings: [] };
    return { ok: true, template, url: renderTemplate(template, values), warnings: check.warnings };
  });

  app.get('/v1/templates/presets', listPresetsRoute, async () => ({ presets: [...PRESET_NAMES] }));
}
