import { z } from 'zod';
import { canonicalMacro, type MacroValues } from '../templates/index.js';

const CONTROL = /[\u0000-\u001f\u007f]/;

const macroValue = z.union([
  z
    .string()
    .max(512, 'must be at most 512 characters')
    .refine((s) => !CONTROL.test(s), 'must not contain control characters'),
  z.number().refine(Number.isFinite, 'must be a finite number').transform(String),
]);

/** `POST /v1/accounts/:id/test`. `values` is keyed by macro name (aliases accepted), like a template. */
export const testPostbackInputSchema = z.strictObject({
  offer_id: z.string().regex(/^[^\s\u0000-\u001f]{1,128}$/, 'at most 128 characters, no spaces').optional(),
  event: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : - only, at most 64').optional(),
  values: z
    .record(z.string(), macroValue)
    .superRefine((values, context) => {
      for (const name of Object.keys(values)) {
        if (canonicalMacro(name) === undefined) {
          context.addIssue({ code: 'custom', path: [name], message: `unknown macro {${name}}` });
        }
      }
    })
    .transform((values) => {
      const out: MacroValues = {};
      for (const [name, value] of Object.entries(values)) out[canonicalMacro(name)!] = value;
      return out;
    })
    .optional(),
  dry_run: z.boolean().optional(),
});

export type TestPostbackInput = z.infer<typeof testPostbackInputSchema>;
