import type { z } from 'zod';
import { StintError } from '../domain/errors.ts';

/** Validates at the edge: the first issue becomes INVALID_BODY with `details.field` naming it. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
  const field = [...issue.path, ...keys.slice(0, 1)].map(String).join('.') || '(body)';
  const message =
    issue.code === 'unrecognized_keys'
      ? `Unknown field "${field}"`
      : issue.code === 'invalid_type' && issue.input === undefined
        ? `Missing field "${field}"`
        : `Field "${field}": ${issue.message}`;
  return throwInvalid(message, field);
}

function throwInvalid(message: string, field: string): never {
  throw new StintError('INVALID_BODY', message, { field });
}
