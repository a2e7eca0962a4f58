/**
 * One way for every provider to read its resource's `provider:` block: a zod schema, and a POLICY_INVALID
 * that names each bad field (values are never echoed: a block may hold secret references).
 */
import type { z } from 'zod';
import { StintError } from '../domain/errors.ts';

/** Parses `config` with `schema`; throws POLICY_INVALID "<type> provider: field: problem; …" with `details.problems`. */
export function parseProviderConfig<S extends z.ZodType>(type: string, schema: S, config: Record<string, unknown>): z.infer<S> {
  const parsed = schema.safeParse(config);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = issue.path.join('.') || '(block)';
    return issue.code === 'unrecognized_keys' ? `unknown key(s) ${issue.keys.join(', ')}` : `${field}: ${issue.message}`;
  });
  throw new StintError('POLICY_INVALID', `${type} provider: ${problems.join('; ')}`, { problems });
}
