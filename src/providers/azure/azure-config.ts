/**
 * The `provider:` block of an azure resource, validated with zod at policy load: where (an ARM scope under a
 * subscription), what (a role definition, a full id or a bare GUID expanded at the scope's subscription), how
 * (`assignment`: a plain role assignment Stint deletes at expiry; `pim-schedule`: a time-bound PIM schedule
 * that Azure ends by itself), and Stint's own credential (secret references only, else the SDK's chain).
 */
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
export const GUID_PATTERN = new RegExp(`^${GUID}$`);
/** `/subscriptions/<guid>` optionally followed by resource groups and resources (no trailing slash). */
const SCOPE_PATTERN = new RegExp(`^/subscriptions/${GUID}(/[^/?#\\s]+)*$`, 'i');
const ROLE_ID_PATTERN = new RegExp(`^(/subscriptions/${GUID}(/[^/?#\\s]+)*)?/providers/Microsoft\\.Authorization/roleDefinitions/${GUID}$`, 'i');

export const AZURE_MODES = ['assignment', 'pim-schedule'] as const;
export const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal'] as const;

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

export const azureConfigSchema = z
  .strictObject({
    type: z.literal('azure'),
    // The policy loader fills an absent `mode` with its global default `membership`: for azure that means "not set".
    mode: z.preprocess((v) => (v === 'membership' ? undefined : v), z.enum(AZURE_MODES, { error: 'must be assignment or pim-schedule' }).default('assignment')),
    scope: z
      .string({ error: 'required: an ARM scope such as /subscriptions/<id>/resourceGroups/<rg>' })
      .regex(SCOPE_PATTERN, { error: 'must be /subscriptions/<subscription GUID> optionally followed by /resourceGroups/<rg>/… (no trailing slash)' }),
    roleDefinitionId: z.string({ error: 'required: a role definition id or its GUID' }).refine((v) => GUID_PATTERN.test(v) || ROLE_ID_PATTERN.test(v), {
      error: 'must be /subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<GUID> or a bare role definition GUID',
    }),
    /** Who the person's `accounts.azure` id is in Entra; agents are usually ServicePrincipal. @defaultValue User */
    principalType: z.enum(PRINCIPAL_TYPES, { error: 'must be User, Group or ServicePrincipal' }).default('User'),
    tenantId: z.string().regex(GUID_PATTERN, { error: 'must be the Entra tenant GUID' }).optional(),
    clientId: z.string().regex(GUID_PATTERN, { error: "must be the application (client) GUID of Stint's service principal" }).optional(),
    clientSecret: z.string().refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline secrets are refused' }).optional(),
    /** ARM base URL. @defaultValue https://management.azure.com */
    endpoint: httpsUrl.optional(),
    /** The token audience (`<audience>/.default`). @defaultValue the endpoint's origin */
    audience: httpsUrl.optional(),
    /** Entra authority host, e.g. https://login.microsoftonline.us. @defaultValue https://login.microsoftonline.com */
    authorityHost: httpsUrl.optional(),
    /** Tries per ARM call when Azure throttles (429) or fails (5xx, timeouts). @defaultValue 4 */
    maxAttempts: z.number().int().min(1).max(10).optional(),
  })
  .superRefine((config, ctx) => {
    if (config.clientSecret && !config.tenantId) ctx.addIssue({ code: 'custom', path: ['tenantId'], message: 'required with clientSecret' });
    if (config.clientSecret && !config.clientId) ctx.addIssue({ code: 'custom', path: ['clientId'], message: 'required with clientSecret' });
  });

export type AzureConfig = z.infer<typeof azureConfigSchema>;

export const DEFAULT_ENDPOINT = 'https://management.azure.com';

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parseAzureConfig(config: Record<string, unknown>): AzureConfig {
  return parseProviderConfig('azure', azureConfigSchema, config);
}

/** The subscription GUID the scope lives in (the SDK client wants one). */
export function subscriptionOf(config: AzureConfig): string {
  return config.scope.split('/')[2]!;
}

/** The full role definition id: a bare GUID is expanded at the scope's subscription (ARM's canonical form). */
export function roleDefinitionIdOf(config: AzureConfig): string {
  if (GUID_PATTERN.test(config.roleDefinitionId)) {
    return `/subscriptions/${subscriptionOf(config)}/providers/Microsoft.Authorization/roleDefinitions/${config.roleDefinitionId.toLowerCase()}`;
  }
  return config.roleDefinitionId;
}

/** The role definition GUID (ARM writes role ids in several equivalent forms: compare these). */
export function roleGuidOf(roleDefinitionId: string): string {
  return roleDefinitionId.split('/').at(-1)!.toLowerCase();
}

/** Case-insensitive comparison of ARM ids and scopes (ARM ids are case-insensitive). */
export function sameArmId(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.replace(/\/+$/, '').toLowerCase() === b.replace(/\/+$/, '').toLowerCase();
}

/** Who gets which role where, as the config and the person's `accounts.azure` say. */
export interface Grantee {
  scope: string;
  /** Full id (see roleDefinitionIdOf). */
  roleDefinitionId: string;
  /** Entra object id, lower case. */
  principalId: string;
  principalType: (typeof PRINCIPAL_TYPES)[number];
}
