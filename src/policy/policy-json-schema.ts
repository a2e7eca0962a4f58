/** The JSON Schema of the policy file for editors (`stint policy schema`), generated from the zod schema. */
import { z } from 'zod';
import { policyFileSchema } from './policy-schema.ts';

export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policyFileSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://stint.dev/schema/policy.json', title: 'Stint policy (stint.yaml)' };
}
