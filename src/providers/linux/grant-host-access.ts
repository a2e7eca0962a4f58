/**
 * A linux grant on one host connection: (a) an ephemeral account (local, or in the directory), (b) elevation of
 * the person's own account (`accounts.linux`), or (c) both — the ephemeral account, elevated. Every step is
 * idempotent, so a retried grant ends where the first would have, with the same handle.
 */
import { StintError } from '../../domain/errors.ts';
import type { GrantTarget } from '../../core/ports.ts';
import type { DirectoryTarget } from './directory.ts';
import { addToGroup } from './group-membership.ts';
import type { LinuxConfig } from './linux-config.ts';
import { ephemeralName, shortGrantId, type Elevation, type LinuxHandle } from './linux-handle.ts';
import { createLocalAccount, removeLocalAccount } from './local-account.ts';
import type { HostSession } from './ssh-session.ts';
import { assertAccountName } from './shell.ts';
import { roleLines, sudoLine, writeSudoers } from './sudoers.ts';

/** Refusals that need the request, not only the config (checked before any connection is opened). */
export function assertGrantable(config: LinuxConfig, target: GrantTarget): void {
  if (target.launch && !config.jit.create_ephemeral) {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: stint ssh needs jit.create_ephemeral: true (the session runs as an account made for it); request it without launch or ask an admin to enable ephemeral accounts`);
  }
  if (target.launch && config.jit.ephemeral_account_type === 'domain') {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: stint ssh works with local ephemeral accounts only; this resource makes directory accounts`);
  }
  if (!config.jit.create_ephemeral && !target.account) {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: ${target.principalId} has no linux account; add accounts.linux for them in the policy`);
  }
}

export async function grantHostAccess(session: HostSession, config: LinuxConfig, target: GrantTarget, directory: DirectoryTarget | undefined): Promise<LinuxHandle> {
  const shortId = shortGrantId(target.requestId, target.resourceId);
  const jit = config.jit;
  let account: string;
  let dn: string | undefined;
  if (jit.create_ephemeral) {
    account = ephemeralName(shortId);
    if (directory) {
      ({ dn } = await directory.create(account, jit.base_distinguished_name!, `stint request ${target.requestId} for ${target.principalId}`));
    } else {
      await createLocalAccount(session, account, target.requestId, target.expiresAt);
    }
  } else {
    account = assertAccountName(target.account!, `accounts.linux of ${target.principalId}`);
  }

  let elevation: Elevation | null = null;
  try {
    if (jit.elevate) elevation = await elevate(session, config, { shortId, requestId: target.requestId, account });
  } catch (error) {
    // A grant that fails leaves nothing behind: the account made a moment ago goes too.
    if (jit.create_ephemeral && !directory) await removeLocalAccount(session, account);
    if (dn !== undefined) await directory!.remove(dn);
    throw error;
  }
  const preexisting = elevation?.method === 'group' && elevation.preexisting;

  return {
    kind: 'linux',
    host: `${config.host}:${config.port}`,
    requestId: target.requestId,
    resourceId: target.resourceId,
    shortId,
    account,
    ephemeral: jit.create_ephemeral ? (directory ? 'domain' : 'local') : null,
    ...(dn !== undefined && { dn }),
    elevation,
    launch: target.launch === true,
    expiresAt: target.expiresAt.toISOString(),
    // Only an elevation of the person's own account can predate Stint; core never removes what was there.
    ...(preexisting && !jit.create_ephemeral && { preexisting: true }),
  };
}

async function elevate(session: HostSession, config: LinuxConfig, grant: { shortId: string; requestId: string; account: string }): Promise<Elevation> {
  const value = config.jit.elevation_string!;
  if (config.jit.elevation_method === 'group') {
    const { preexisting } = await addToGroup(session, grant.account, value, grant.shortId);
    return { method: 'group', group: value, preexisting };
  }
  if (config.jit.elevation_method === 'role') {
    const file = await writeSudoers(session, grant.shortId, grant, await roleLines(session, value, grant.account));
    return { method: 'role', role: value, file };
  }
  return { method: 'sudo', file: await writeSudoers(session, grant.shortId, grant, sudoLine(grant.account, value)) };
}
