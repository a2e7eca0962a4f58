/**
 * Which resources a request may narrow (issue 12): those whose provider can express table-level access — today
 * `postgres` in `mode: ephemeral` (the temporary login gets table GRANTs instead of the role). A membership of an
 * existing role cannot be narrowed: the person's own login would keep the whole role.
 */
import type { PolicyResource } from './model.ts';

const NARROWABLE: Readonly<Record<string, (mode: string | undefined) => boolean>> = {
  postgres: (mode) => mode === 'ephemeral',
};

export function canNarrow(resource: PolicyResource): boolean {
  return NARROWABLE[resource.provider.type]?.(resource.provider.mode) ?? false;
}
