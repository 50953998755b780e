import { z } from 'zod';
import type { FieldProblem } from '../errors.js';
import { SUB_FIELDS, type SubField } from '../domain/click.js';

export const MAX_SUB_LENGTH = 512;

// Same rules as a conversion's sub ids: the values come back in postbacks and logs.
const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const ACCOUNT = /^[A-Za-z0-9_.:-]{1,128}$/;

function single(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

const oneText = (schema: z.ZodString) =>
  z.preprocess(
    single,
    z
      .string({ error: (issue) => (Array.isArray(issue.input) ? 'must be given once' : 'must be text') })
      .pipe(schema)
      .optional(),
  );

const sub = () =>
  oneText(
    z
      .string()
      .max(MAX_SUB_LENGTH, `must be at most ${MAX_SUB_LENGTH} characters`)
      .refine((s) => !CONTROL.test(s), 'must not contain control characters')
      .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed text'),
  );

// Unknown parameters (utm_*, fbclid…) are ignored: ad platforms append them to every link.
const clickQuerySchema = z.object({
  account: oneText(z.string().regex(ACCOUNT, 'letters, digits, _ . : - only, at most 128')),
  sub1: sub(),
  sub2: sub(),
  sub3: sub(),
  sub4: sub(),
  sub5: sub(),
});

export type ClickQuery = { account?: string } & Partial<Record<SubField, string>>;

export type ClickQueryResult = { ok: true; query: ClickQuery } | { ok: false; errors: FieldProblem[] };

/** Validates the query of a tracking link; on failure names every bad parameter. */
export function parseClickQuery(raw: unknown): ClickQueryResult {
  const result = clickQuerySchema.safeParse(raw ?? {});
  if (!result.success) {
    const errors: FieldProblem[] = [];
    for (const issue of result.error.issues) {
      const path = String(issue.path[0] ?? '(query)');
      if (!errors.some((e) => e.path === path)) errors.push({ path, message: issue.message });
    }
    return { ok: false, errors };
  }
  const query: ClickQuery = {};
  if (result.data.account !== undefined) query.account = result.data.account;
  for (const field of SUB_FIELDS) {
    const value = result.data[field];
    if (value !== undefined) query[field] = value;
  }
  return { ok: true, query };
}
