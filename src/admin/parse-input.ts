import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { toDetails } from './schemas.js';

/** Validates request input against a schema, or throws a 400 naming each bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, code: string): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) throw new ValidationError(code, toDetails(result.error));
  return result.data;
}
