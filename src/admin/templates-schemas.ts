import { z } from 'zod';
import { invalid, json, readErrors, security } from '../http/route-docs.js';
import { MACRO_NAMES } from '../templates/index.js';
import { PRESET_NAMES } from '../templates/presets.js';

const macroValue = z
  .string()
  .max(512, 'must be at most 512 characters')
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')
  .optional();

/**
 * `GET /v1/templates/render`: a template as typed (or a preset and its base
 * URL), and the example conversion's values, each macro by its canonical name.
 */
export const renderQuerySchema = z
  .object({
    template: z.string().max(4096, 'must be at most 4096 characters').optional().describe('the template to render'),
    preset: z.enum(PRESET_NAMES).optional().describe('instead of `template`: a tracker preset …'),
    base_url: z.string().max(2048).optional().describe('… and the tracker address it is for'),
    ...Object.fromEntries(MACRO_NAMES.map((name) => [name, macroValue])),
  })
  .refine((query) => (query.template === undefined) !== (query.preset === undefined), {
    message: 'give either template or preset (with base_url)',
    path: ['template'],
  });

const renderAnswer = z
  .object({
    ok: z.boolean().describe('whether the template would be accepted on save'),
    template: z.string().describe('the template rendered (a preset expanded)'),
    url: z.string().optional().describe('the example conversion rendered; absent when not ok'),
    error: z.string().optional().describe('why the template would be refused, e.g. `unknown macro {clik_id}`'),
    warnings: z.array(z.string()).describe('accepted, but probably not meant: e.g. no click-id macro'),
  })
  .meta({
    id: 'TemplateRender',
    examples: [
      {
        ok: true,
        template: 'https://trk.example.com/pb?cid={click_id}',
        url: 'https://trk.example.com/pb?cid=abc123',
        warnings: [],
      },
    ],
  });

export const renderTemplateRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Render a template with an example conversion, as the account editor does while you type',
    description:
      'Changes nothing, so the viewer token may call it. Answers the same judgement a save gives (`error` for an unknown macro ' +
      'or a non-URL, `warnings` for a template without a click-id macro) and the URL the example conversion would be sent to. ' +
      'Values not given are plainly fake samples.',
    security: security.read,
    querystring: renderQuerySchema,
    response: { 200: json('The judgement and the rendered URL', renderAnswer), 400: invalid, ...readErrors },
  },
};

export const listPresetsRoute = {
  schema: {
    tags: ['accounts'],
    summary: 'Tracker presets',
    description: 'The preset names accepted as `{"preset":…,"base_url":…}` wherever an account template goes.',
    security: security.read,
    response: { 200: json('The presets', z.object({ presets: z.array(z.string()) })), ...readErrors },
  },
};
