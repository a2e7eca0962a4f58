/**
 * The `ldap` provider (DESIGN.md section 7): `membership` adds the person's `accounts.ldap` value to a group
 * (member / uniqueMember DN, or memberUid), `ephemeral` creates a short-lived directory account per request scope.
 * Each call opens one session with the resource's bind DN (ldap-connection.ts) and closes it. Both modes leave
 * Stint's marker on the directory (a description value), so the orphan sweep can find grants whose handle was lost.
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { MEMBER_ATTRIBUTES, memberValue, parseLdapConfig } from './ldap-config.ts';
import { withLdap, type LdapCallOptions, type LdapRetry } from './ldap-connection.ts';
import { checkMembership, grantMembership, listMemberships, revokeMembership, type MembershipHandle } from './membership.ts';
import { checkEphemeral, grantEphemeral, listEphemeral, mintEphemeralCredential, revokeEphemeral, type EphemeralHandle } from './ephemeral.ts';

export interface LdapProviderOptions {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** Retries of transient failures. @defaultValue 3 attempts, 250 ms doubling, at most 2 s apart */
  retry?: Partial<LdapRetry>;
}

// Handles come back from the database as JSON: checked at this edge, trusted inside.
const handleSchema = z.discriminatedUnion('mode', [
  z.looseObject({ mode: z.literal('membership'), group: z.string(), attribute: z.enum(MEMBER_ATTRIBUTES), value: z.string(), grantId: z.string(), preexisting: z.boolean() }),
  z.looseObject({ mode: z.literal('ephemeral'), uid: z.string(), dn: z.string(), expiresAt: z.string() }),
]);

function parseHandle(handle: GrantHandleData): MembershipHandle | EphemeralHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'ldap provider: the stored grant handle is not one this provider wrote');
  return parsed.data as MembershipHandle | EphemeralHandle;
}

export function createLdapProvider(options: LdapProviderOptions = {}): Provider {
  const call: LdapCallOptions = { env: options.env ?? process.env, ...(options.retry ? { retry: options.retry } : {}) };

  return {
    type: 'ldap',
    validate(config) {
      parseLdapConfig(config);
    },
    async grant(raw, target: GrantTarget) {
      const config = parseLdapConfig(raw);
      if (config.mode === 'ephemeral') return withLdap(config, call, (session) => grantEphemeral(session, config, target));
      // Checked before connecting: a policy without the account can never work, whatever the directory says.
      const value = memberValue(config.memberAttribute, target.account, target);
      return withLdap(config, call, (session) => grantMembership(session, config.group!, config.memberAttribute, value, target));
    },
    async extend(_raw, data, newExpiry) {
      const handle = parseHandle(data);
      // A directory entry or membership has no native expiry: only Stint's timer ends it.
      return handle.mode === 'ephemeral' ? { ...handle, expiresAt: newExpiry.toISOString() } : handle;
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseHandle(data);
      const config = parseLdapConfig(raw);
      // An ephemeral account belongs to this request alone, so `stillNeeded` never applies to it.
      return withLdap(config, call, (session) => (handle.mode === 'membership' ? revokeMembership(session, handle, stillNeeded) : revokeEphemeral(session, handle)));
    },
    async check(raw, data) {
      const handle = parseHandle(data);
      const config = parseLdapConfig(raw);
      return withLdap(config, call, (session) => (handle.mode === 'membership' ? checkMembership(session, handle) : checkEphemeral(session, handle)));
    },
    /** Stint's markers: `added` values in the group's description, or stint-… accounts under the base DN. */
    async listGranted(raw) {
      const config = parseLdapConfig(raw);
      return withLdap<Array<{ requestId: string; handle: GrantHandleData }>>(config, call, (session) =>
        config.mode === 'membership' ? listMemberships(session, config.group!, config.memberAttribute) : listEphemeral(session, config),
      );
    },
    describe(raw) {
      const config = parseLdapConfig(raw);
      if (config.mode === 'membership') return `membership in LDAP group ${config.group}`;
      const group = config.group ? `, member of ${config.group}` : '';
      return `a temporary LDAP account under ${config.base_distinguished_name}${group}`;
    },
    async credential(raw, data) {
      const handle = parseHandle(data);
      if (handle.mode !== 'ephemeral') {
        throw new StintError('POLICY_INVALID', 'this ldap resource adds your own directory account to a group: there is no credential to reveal');
      }
      return withLdap(parseLdapConfig(raw), call, (session) => mintEphemeralCredential(session, handle));
    },
  };
}
