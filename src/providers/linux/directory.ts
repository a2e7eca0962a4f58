/**
 * Domain mode (`ephemeral_account_type: domain`): the ephemeral account is made in the directory (the `ldap`
 * resource `jit.directory` names, whose provider block the policy loader attaches as `directoryProvider`) and
 * then elevated on the host by name. The directory calls are those of `providers/ldap/directory-accounts.ts`,
 * passed in by the composition root, so this provider does not depend on how the ldap one is built.
 */
import { StintError } from '../../domain/errors.ts';
import type { LinuxConfig } from './linux-config.ts';

/** The shape of `providers/ldap/directory-accounts.ts` (`ldap: never`: its own connection type is accepted). */
export interface DirectoryAccounts {
  parseLdapConnection(raw: Record<string, unknown>): unknown;
  createDirectoryAccount(ldap: never, account: { uid: string; baseDn: string; description?: string }, options?: DirectoryCallOptions): Promise<{ dn: string }>;
  deleteDirectoryAccount(ldap: never, dn: string, options?: DirectoryCallOptions): Promise<void>;
  directoryAccountExists(ldap: never, dn: string, options?: DirectoryCallOptions): Promise<boolean>;
}

interface DirectoryCallOptions {
  env?: NodeJS.ProcessEnv;
}

/** One directory's account calls, bound to its connection and where its secrets are read. */
export interface DirectoryTarget {
  create(uid: string, baseDn: string, description: string): Promise<{ dn: string }>;
  remove(dn: string): Promise<void>;
  exists(dn: string): Promise<boolean>;
}

/** The directory of a domain-mode config, or a POLICY_INVALID saying what is missing. */
export function directoryOf(config: LinuxConfig, accounts: DirectoryAccounts | undefined, env: NodeJS.ProcessEnv): DirectoryTarget {
  if (!accounts) {
    throw new StintError('POLICY_INVALID', 'linux provider: ephemeral_account_type: domain needs the ldap provider, which this build does not have');
  }
  if (!config.directoryProvider) {
    throw new StintError('POLICY_INVALID', `linux provider: jit.directory "${config.jit.directory}" did not resolve to an ldap resource; check the policy`);
  }
  const connection = accounts.parseLdapConnection(config.directoryProvider) as never;
  return {
    create: (uid, baseDn, description) => accounts.createDirectoryAccount(connection, { uid, baseDn, description }, { env }),
    remove: (dn) => accounts.deleteDirectoryAccount(connection, dn, { env }),
    exists: (dn) => accounts.directoryAccountExists(connection, dn, { env }),
  };
}
