/**
 * Which resources a request may narrow (issue 12), and in which grammar: `postgres` in `mode: ephemeral` (tables:
 * the temporary login gets table GRANTs instead of the role) and `aws` in `mode: iam-role` (actions on ARNs: the
 * session is assumed with an inline session policy). A membership of an existing role, or an Identity Center
 * assignment, cannot be narrowed: the person's own identity would keep the whole access.
 */
import type { NarrowingGrammar } from '../domain/narrowing.ts';
import type { PolicyResource } from './model.ts';

const NARROWABLE: Readonly<Record<string, (mode: string | undefined) => NarrowingGrammar | null>> = {
  postgres: (mode) => (mode === 'ephemeral' ? 'tables' : null),
  aws: (mode) => (mode === 'iam-role' ? 'aws' : null),
};

/** The grammar a narrowing of this resource is written in, or null when it cannot be narrowed. */
export function narrowingGrammar(resource: PolicyResource): NarrowingGrammar | null {
  return NARROWABLE[resource.provider.type]?.(resource.provider.mode) ?? null;
}

export function canNarrow(resource: PolicyResource): boolean {
  return narrowingGrammar(resource) !== null;
}
