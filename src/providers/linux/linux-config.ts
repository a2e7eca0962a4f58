/**
 * The `provider:` block of a linux resource, validated with zod at policy load. `jit` follows the established
 * model (create_ephemeral, ephemeral_account_type, elevate, elevation_method, elevation_string); combinations
 * that cannot work are refused here, each naming its field, so nothing half-configured reaches a host.
 */
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';
import { parseKnownHosts } from './known-hosts.ts';
import { ACCOUNT_NAME, ROLE_NAME } from './shell.ts';

/** A DNS name or an IP address (v4, or v6 without brackets). */
const HOST = /^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9a-fA-F:.]+$/;

/**
 * What may follow the user name on a sudoers line (`ALL=(ALL) NOPASSWD: ALL`): no newline or backslash (a
 * second line, a continuation), no `#` (a comment or `#include`), no quotes or `"`-escapes; visudo checks the rest.
 */
const SUDOERS_SPEC = /^[A-Za-z0-9 _=(),:/.*!+%@-]+$/;

const secretRef = (what: string) =>
  z.string({ error: `required: env:NAME or file:/path holding ${what}` }).refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline secrets are refused' });

const jitSchema = z.strictObject({
  create_ephemeral: z.boolean().default(false),
  ephemeral_account_type: z.enum(['local', 'domain'], { error: 'must be local or domain' }).optional(),
  base_distinguished_name: z.string().min(1).optional(),
  directory: z.string().min(1).optional(),
  elevate: z.boolean().default(false),
  elevation_method: z.enum(['sudo', 'group', 'role'], { error: 'must be sudo, group or role' }).optional(),
  elevation_string: z.string().min(1).optional(),
});

export const linuxConfigSchema = z
  .strictObject({
    type: z.literal('linux'),
    host: z.string({ error: 'required: the host name or address to reach over SSH' }).regex(HOST, { error: 'must be a host name or an IP address' }),
    port: z.number().int().min(1).max(65535).default(22),
    knownHosts: z
      .string({ error: "required: the host's known_hosts line(s), inline or file:/path; an unpinned host key is refused" })
      .min(1)
      .superRefine((value, ctx) => {
        if (value.startsWith('file:')) {
          if (!/^file:\//.test(value)) ctx.addIssue({ code: 'custom', message: 'file: needs an absolute path' });
          return;
        }
        try {
          parseKnownHosts(value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
        }
      }),
    user: z.string({ error: 'required: the provisioning account Stint logs in as' }).regex(ACCOUNT_NAME, { error: 'must be a plain Linux account name' }),
    privateKey: secretRef("the provisioning account's private key"),
    passphrase: secretRef("the private key's passphrase").optional(),
    /** The provisioning account runs every command through `sudo -n` (false when it is root). */
    sudo: z.boolean().default(false),
    timeoutMs: z.number().int().min(1000).max(300_000).default(15_000),
    /** Recorded only: the gateway's launch rule refuses resources that let the user pick the host. */
    allowUserHost: z.boolean().default(false),
    jit: jitSchema,
    /** The `ldap` resource named by `jit.directory`, attached by the policy loader (never written by hand). */
    directoryProvider: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((config, ctx) => {
    const jit = config.jit;
    const problem = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: ['jit', field], message });
    if (!jit.create_ephemeral && !jit.elevate) {
      ctx.addIssue({ code: 'custom', path: ['jit'], message: 'grants nothing: set create_ephemeral, elevate, or both' });
    }
    if (jit.ephemeral_account_type && !jit.create_ephemeral) problem('ephemeral_account_type', 'only applies with create_ephemeral: true');
    const type = jit.ephemeral_account_type ?? 'local';
    if (type === 'local') {
      if (jit.base_distinguished_name !== undefined) problem('base_distinguished_name', 'only applies to ephemeral_account_type: domain');
      if (jit.directory !== undefined) problem('directory', 'only applies to ephemeral_account_type: domain');
    } else {
      if (jit.directory === undefined) problem('directory', 'is required with ephemeral_account_type: domain: name the ldap resource the account is created in');
      if (jit.base_distinguished_name === undefined) problem('base_distinguished_name', 'is required with ephemeral_account_type: domain (e.g. ou=people,dc=example,dc=com)');
      else if (!/^[A-Za-z][A-Za-z0-9-]*=[^,]+(,\s*[A-Za-z][A-Za-z0-9-]*=[^,]+)*$/.test(jit.base_distinguished_name)) {
        problem('base_distinguished_name', 'must be a distinguished name like ou=people,dc=example,dc=com');
      }
    }
    if (!jit.elevate) {
      if (jit.elevation_method !== undefined) problem('elevation_method', 'only applies with elevate: true');
      if (jit.elevation_string !== undefined) problem('elevation_string', 'only applies with elevate: true');
      return;
    }
    if (jit.elevation_method === undefined) problem('elevation_method', 'is required with elevate: true: sudo, group or role');
    if (jit.elevation_string === undefined) {
      problem('elevation_string', 'is required with elevate: true: a sudoers spec (ALL=(ALL) NOPASSWD: ALL), a group name or a role name');
      return;
    }
    const value = jit.elevation_string;
    if (jit.elevation_method === 'group' && !ACCOUNT_NAME.test(value)) {
      problem('elevation_string', 'must be a plain group name ([a-z_][a-z0-9_.-]*, at most 32 characters) with elevation_method: group');
    }
    if (jit.elevation_method === 'role' && !ROLE_NAME.test(value)) {
      problem('elevation_string', 'must be a plain role name ([a-z_][a-z0-9_-]*, at most 32 characters), the file name under /etc/stint/roles');
    }
    if (jit.elevation_method === 'sudo') {
      if (/[\r\n\\]/.test(value)) problem('elevation_string', 'must be one sudoers line: no newline or backslash');
      else if (/#|include/i.test(value)) problem('elevation_string', 'must not contain # or include directives');
      else if (!SUDOERS_SPEC.test(value)) problem('elevation_string', 'has characters a sudoers spec does not need (allowed: letters, digits, space and _=(),:/.*!+%@-)');
      else if (!/^[^=]+=/.test(value)) problem('elevation_string', 'must be a sudoers spec like ALL=(ALL) NOPASSWD: ALL (hosts=(runas) commands)');
    }
  });

export type LinuxConfig = z.infer<typeof linuxConfigSchema>;

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parseLinuxConfig(config: Record<string, unknown>): LinuxConfig {
  return parseProviderConfig('linux', linuxConfigSchema, config);
}
