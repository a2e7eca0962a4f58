/** Who is calling a use case, as established by a surface (REST token, Slack user, CLI token). */
import { StintError } from '../domain/errors.ts';
import type { Via } from '../domain/request.ts';
import type { Policy } from '../policy/model.ts';
import { isAdmin } from '../policy/index.ts';
import type { TokenOwnerKind, TokenScope } from './ports.ts';

export interface Actor {
  /** A policy person id, a service-account id, or `bootstrap` for the STINT_ADMIN_TOKEN. */
  id: string;
  kind: TokenOwnerKind;
  /** Token scopes; chat identities get `request` and `approve`. */
  scopes: readonly TokenScope[];
  via: Via;
}

export function hasScope(actor: Actor, scope: TokenScope): boolean {
  return actor.kind === 'bootstrap' || actor.scopes.includes(scope) || actor.scopes.includes('admin');
}

export function requireScope(actor: Actor, scope: TokenScope): void {
  if (!hasScope(actor, scope)) {
    throw new StintError('FORBIDDEN', `This token lacks the "${scope}" scope; create one with --scopes ${scope}`, {
      scope,
    });
  }
}

/** Admin by token (the `admin` scope, the bootstrap token) or by policy (`admins:`). */
export function actsAsAdmin(policy: Policy, actor: Actor): boolean {
  if (actor.kind === 'bootstrap' || actor.scopes.includes('admin')) return true;
  return actor.kind === 'person' && isAdmin(policy, actor.id);
}
