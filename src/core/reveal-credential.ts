/**
 * Reveal the credential of an ACTIVE grant to its requester (DESIGN.md invariant 6). Each call mints (or
 * rotates) a password through the provider; it travels only in this function's answer — never stored, queued,
 * logged or put in an error. The audit records that it was revealed and for which logins, never the password.
 */
import { StintError, isStintError } from '../domain/errors.ts';
import { requireScope, type Actor } from './actor.ts';
import type { GrantPorts } from './ports.ts';
import { assertVisible, speaksForRequester } from './visibility.ts';

export interface RevealedCredential {
  resourceId: string;
  username: string;
  password: string;
  expiresAt: Date;
  hint: string | null;
}

export async function revealCredential(actor: Actor, requestId: string, ports: GrantPorts): Promise<RevealedCredential[]> {
  const policy = ports.policy.current();
  const now = ports.clock.now();
  const request = assertVisible(policy, actor, await ports.store.getRequest(requestId), requestId, now);
  if (!speaksForRequester(policy, actor, request)) {
    throw new StintError('FORBIDDEN', 'Only the requester can reveal credentials; approvers and admins never see them');
  }
  requireScope(actor, 'request');
  if (request.status !== 'ACTIVE') {
    throw new StintError('NOT_PENDING', `This request is ${request.status}: there is no active grant to reveal a credential for`, { status: request.status });
  }
  // Launch mode: the gateway holds the only key, in memory, for the session; there is nothing to hand out.
  if (request.launch) {
    throw new StintError('NO_CREDENTIAL', `${request.id} is for stint ssh only: its session goes through the Stint gateway and no credential is ever shown; run \`stint ssh ${request.scopes[0] ?? '<machine>'}\``);
  }

  const credentials: RevealedCredential[] = [];
  const without: string[] = [];
  for (const handle of await ports.store.listGrantHandles(request.id)) {
    const provider = ports.providers.get(handle.provider);
    if (!provider.credential) {
      without.push(`${handle.resourceId} grants ${provider.describe(handle.config)}, which has no credential of its own`);
      continue;
    }
    try {
      const minted = await provider.credential(handle.config, handle.data);
      credentials.push({ resourceId: handle.resourceId, username: minted.username, password: minted.password, expiresAt: minted.expiresAt, hint: minted.hint ?? null });
    } catch (err) {
      // A provider says POLICY_INVALID when this grant's mode has no credential (a membership of an existing role).
      if (isStintError(err) && err.code === 'POLICY_INVALID') {
        without.push(`${handle.resourceId}: ${err.message}`);
        continue;
      }
      const reason = err instanceof Error ? err.message : String(err);
      throw new StintError('UNAVAILABLE', `Could not mint a credential for ${handle.resourceId} (${reason}); try again in a moment`, { resourceId: handle.resourceId });
    }
  }
  if (credentials.length === 0) {
    throw new StintError('NO_CREDENTIAL', `Nothing to reveal: ${without.join('; ') || 'no scope of this request was granted'}. Connect as your own user`, {
      scopes: request.scopes,
    });
  }

  // Audited before it is handed out: a credential never leaves without its event. Ids and logins only.
  await ports.store.transaction(async (tx) => {
    tx.appendAudit({
      actor: actor.id,
      action: 'credential.revealed',
      requestId: request.id,
      data: { resourceIds: credentials.map((c) => c.resourceId), usernames: credentials.map((c) => c.username) },
      at: ports.clock.now(),
    });
  });
  return credentials;
}
