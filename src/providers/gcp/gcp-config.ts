/**
 * The `provider:` block of a gcp resource, validated with zod at policy load, and the person's principal
 * (`accounts.gcp`). Basic roles are refused here: IAM conditions — the expiry that ends access even when Stint
 * is down — cannot be attached to roles/owner, roles/editor or roles/viewer.
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

export const DEFAULT_ENDPOINT = 'https://cloudresourcemanager.googleapis.com';
export const BASIC_ROLES = ['roles/owner', 'roles/editor', 'roles/viewer'] as const;

// Project ids (6–30 chars) or numbers; folder and organization numbers.
const RESOURCE = /^(projects\/([a-z][a-z0-9-]{4,28}[a-z0-9]|\d{1,20})|folders\/\d{1,20}|organizations\/\d{1,20})$/;
const ROLE = /^(roles\/[A-Za-z0-9_.]{1,64}|projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/roles\/[A-Za-z0-9_.]{3,64}|organizations\/\d{1,20}\/roles\/[A-Za-z0-9_.]{3,64})$/;

/** https anywhere; plain http only to this machine (tests, a local proxy): bearer tokens never cross a network in clear. */
export function isAllowedUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export const gcpConfigSchema = z.strictObject({
  type: z.literal('gcp'),
  // The policy loader writes the default mode into every provider block; a role binding is a membership.
  mode: z.literal('membership', { error: 'gcp has one mode, membership (a conditional role binding); remove mode' }).optional(),
  resource: z
    .string({ error: 'required: projects/<id>, folders/<number> or organizations/<number>' })
    .regex(RESOURCE, { error: 'must be projects/<id>, folders/<number> or organizations/<number>' }),
  role: z
    .string({ error: 'required: the role to grant, e.g. roles/storage.objectViewer' })
    .regex(ROLE, { error: 'must be roles/<name>, projects/<id>/roles/<name> or organizations/<number>/roles/<name>' })
    .refine((role) => !(BASIC_ROLES as readonly string[]).includes(role), {
      error: 'basic roles (roles/owner, roles/editor, roles/viewer) cannot carry the IAM condition that makes the grant expire; use a predefined or custom role',
    }),
  credentials: z
    .string()
    .refine(isSecretRef, { error: 'must be env:NAME or file:/path holding a service-account key JSON; inline keys are refused' })
    .optional(),
  endpoint: z
    .string()
    .refine(isAllowedUrl, { error: 'must be an https:// URL (http:// only to localhost)' })
    .default(DEFAULT_ENDPOINT),
  /** Calls per operation before giving up on throttling, unavailability or concurrent policy changes. @defaultValue 5 */
  maxAttempts: z.number().int().min(1).max(10).default(5),
});

export type GcpConfig = z.infer<typeof gcpConfigSchema>;

export function parseGcpConfig(config: Record<string, unknown>): GcpConfig {
  return parseProviderConfig('gcp', gcpConfigSchema, config);
}

const PREFIXED = /^(user|group|serviceAccount):([^\s@:]+@[^\s@:]+\.[^\s@:]+)$/;
const BARE = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/;

/**
 * The IAM member for `accounts.gcp`: `user:`, `group:` or `serviceAccount:` followed by an email, or a bare
 * email (a `*.gserviceaccount.com` address is a service account, anything else a user). Emails are lowercased:
 * IAM compares them without case and returns them lowercased.
 */
export function memberOf(account: string | undefined, target: { resourceId: string; principalId: string }): string {
  if (!account) {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: ${target.principalId} has no gcp account; add accounts.gcp (user:alice@example.com, group:…, serviceAccount:… or an email) for them in the policy`);
  }
  const prefixed = PREFIXED.exec(account);
  if (prefixed) return `${prefixed[1]}:${prefixed[2]!.toLowerCase()}`;
  if (BARE.test(account)) {
    const email = account.toLowerCase();
    return email.endsWith('.gserviceaccount.com') ? `serviceAccount:${email}` : `user:${email}`;
  }
  throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: accounts.gcp of ${target.principalId} must be user:<email>, group:<email>, serviceAccount:<email> or an email`);
}
