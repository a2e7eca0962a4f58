/**
 * The `provider:` block of an ldap resource, validated with zod at policy load. The connection part
 * (`ldapConnectionShape`) is shared with the linux provider's domain accounts (directory-accounts.ts). DNs are
 * checked for shape only (attr=value,…); whether they exist is the directory's answer at grant time.
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

/** `attr=value` RDNs separated by commas; a backslash escapes the next character (RFC 4514, shape only). */
export const DN_SHAPE = /^[A-Za-z][A-Za-z0-9-]*=(?:[^,=+\\]|\\.)+(?:\+[A-Za-z][A-Za-z0-9-]*=(?:[^,=+\\]|\\.)+)*(?:,\s*[A-Za-z][A-Za-z0-9-]*=(?:[^,=+\\]|\\.)+(?:\+[A-Za-z][A-Za-z0-9-]*=(?:[^,=+\\]|\\.)+)*)*$/;
/** What `memberUid` holds: a POSIX user name. */
export const UID_SHAPE = /^[a-z_][a-z0-9_.-]{0,31}$/i;

export const MEMBER_ATTRIBUTES = ['member', 'uniqueMember', 'memberUid'] as const;
export type MemberAttribute = (typeof MEMBER_ATTRIBUTES)[number];
export const LDAP_MODES = ['membership', 'ephemeral'] as const;

const dn = (what: string) => z.string({ error: `required: ${what}` }).regex(DN_SHAPE, { error: 'must be a distinguished name such as cn=dba,ou=groups,dc=corp' });

/** The keys that say how to reach and bind to the directory (an ldap block's, and the linux provider's `directory`). */
export const ldapConnectionShape = {
  url: z
    .string({ error: 'required: ldap://host[:port] or ldaps://host[:port]' })
    .regex(/^ldaps?:\/\/[^\s/]+\/?$/i, { error: 'must be ldap://host[:port] or ldaps://host[:port] (no path)' }),
  bindDn: dn('the DN Stint binds as'),
  bindPassword: z
    .string({ error: 'required: env:NAME or file:/path holding the bind password' })
    .refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline passwords are refused' }),
  /** Upgrade an ldap:// connection with StartTLS before binding. @defaultValue false */
  startTls: z.boolean({ error: 'must be true or false' }).optional(),
  /** PEM file of the CA that signed the server's certificate (else the system's CAs). */
  tlsCaFile: z.string().regex(/^\//, { error: 'must be an absolute path to a PEM file' }).optional(),
  /** Connect and per-operation timeout. @defaultValue 10_000 */
  timeoutMs: z.number({ error: 'must be a number of milliseconds' }).int().min(100).max(120_000).optional(),
};

const connectionRules = <T extends { url: string; startTls?: boolean | undefined }>(schema: z.ZodType<T>) =>
  schema.refine((c) => !(c.startTls && c.url.toLowerCase().startsWith('ldaps:')), {
    error: 'only with an ldap:// url (ldaps:// is TLS from the start)',
    path: ['startTls'],
  });

export const ldapConnectionSchema = connectionRules(z.object(ldapConnectionShape));
export type LdapConnectionConfig = z.infer<typeof ldapConnectionSchema>;

export const DEFAULT_UID_RANGE: [number, number] = [70_000, 79_999];

export const ldapConfigSchema = connectionRules(
  z
    .strictObject({
      type: z.literal('ldap'),
      ...ldapConnectionShape,
      mode: z.enum(LDAP_MODES, { error: 'must be membership or ephemeral' }).default('membership'),
      group: dn('the group DN').optional(),
      memberAttribute: z.enum(MEMBER_ATTRIBUTES, { error: 'must be member, uniqueMember or memberUid' }).default('member'),
      base_distinguished_name: dn('where ephemeral accounts are created').optional(),
      uidNumberRange: z
        .tuple([z.number().int().min(1), z.number().int().min(1)], { error: 'must be [min, max] (two whole numbers)' })
        .refine(([min, max]) => min <= max, { error: 'min must not exceed max' })
        .optional(),
      /** gidNumber of ephemeral accounts (posixAccount needs one). @defaultValue the account's uidNumber */
      gidNumber: z.number().int().min(1).optional(),
    })
    .superRefine((c, ctx) => {
      const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
      if (c.mode === 'membership' && c.group === undefined) problem('group', 'required in mode membership: the group DN to add people to');
      if (c.mode === 'ephemeral' && c.base_distinguished_name === undefined) {
        problem('base_distinguished_name', 'required in mode ephemeral: the DN under which accounts are created (e.g. ou=people,dc=corp)');
      }
      if (c.mode === 'membership') {
        for (const key of ['base_distinguished_name', 'uidNumberRange', 'gidNumber'] as const) if (c[key] !== undefined) problem(key, 'only in mode ephemeral');
      }
    }),
);

export type LdapConfig = z.infer<typeof ldapConfigSchema>;

export function parseLdapConfig(config: Record<string, unknown>): LdapConfig {
  return parseProviderConfig('ldap', ldapConfigSchema, config);
}

/**
 * The connection part of an ldap block (unknown keys ignored: the rest of the block is the caller's). Throws
 * POLICY_INVALID naming the field.
 */
export function parseLdapConnection(raw: Record<string, unknown>): LdapConnectionConfig {
  return parseProviderConfig('ldap', ldapConnectionSchema, raw);
}

/** The account a membership grant adds: a DN for member/uniqueMember, a user name for memberUid. */
export function memberValue(attribute: MemberAttribute, account: string | undefined, where: { resourceId: string; principalId: string }): string {
  const wants = attribute === 'memberUid' ? 'their user name (uid), e.g. alice' : 'their entry DN, e.g. uid=alice,ou=people,dc=corp';
  if (!account) {
    throw new StintError('POLICY_INVALID', `resource ${where.resourceId}: ${where.principalId} has no ldap account; add accounts.ldap (${wants}) for them in the policy`);
  }
  const ok = attribute === 'memberUid' ? UID_SHAPE.test(account) : DN_SHAPE.test(account);
  if (!ok) {
    throw new StintError('POLICY_INVALID', `resource ${where.resourceId}: accounts.ldap of ${where.principalId} must be ${wants}, because the group lists ${attribute} values`);
  }
  return account;
}
