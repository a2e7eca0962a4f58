/**
 * The `provider:` block of an aws resource, validated with zod at policy load. Two modes share the connection
 * keys (region, endpoint, credentials, maxAttempts); each has its own target keys. Credentials are secret
 * references (`env:NAME` / `file:/path`), never inline; without them the SDK's default chain is used.
 */
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

const secretRef = (what: string) =>
  z
    .string({ error: `required: env:NAME or file:/path holding the ${what}` })
    .refine(isSecretRef, { error: 'must be env:NAME or file:/path; inline credentials are refused' });

const connection = {
  type: z.literal('aws'),
  region: z.string({ error: 'required: the AWS region, e.g. eu-west-1' }).regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, { error: 'must be an AWS region such as eu-west-1' }),
  /** One URL for every AWS client (tests, VPC endpoints); absent = the SDK's regional endpoints. */
  endpoint: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  credentials: z
    .strictObject({
      accessKeyId: secretRef('access key id'),
      secretAccessKey: secretRef('secret access key'),
      sessionToken: secretRef('session token').optional(),
    })
    .optional(),
  /** Attempts per AWS call, the first included, on throttling and 5xx. @defaultValue 4 */
  maxAttempts: z.number().int().min(1).max(10).optional(),
};

const ACCOUNT_ID = /^\d{12}$/;

export const identityCenterSchema = z.strictObject({
  ...connection,
  mode: z.literal('identity-center'),
  instanceArn: z
    .string({ error: 'required: the Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)' })
    .regex(/^arn:aws[a-z-]*:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/, { error: 'must be an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-…)' }),
  identityStoreId: z.string({ error: 'required: the identity store id (d-…)' }).regex(/^d-[0-9a-f]{10}$|^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/, {
    error: 'must be an identity store id such as d-1234567890',
  }),
  permissionSetArn: z
    .string({ error: 'required: the permission set ARN (arn:aws:sso:::permissionSet/ssoins-…/ps-…)' })
    .regex(/^arn:aws[a-z-]*:sso:::permissionSet\/(sso)?ins-[a-zA-Z0-9-.]{16}\/ps-[a-zA-Z0-9-./]{16}$/, { error: 'must be a permission set ARN (arn:aws:sso:::permissionSet/ssoins-…/ps-…)' }),
  accountId: z.string({ error: 'required: the 12-digit AWS account id, quoted' }).regex(ACCOUNT_ID, { error: 'must be 12 digits (quote it in YAML)' }),
});

export const iamRoleSchema = z.strictObject({
  ...connection,
  mode: z.literal('iam-role'),
  roleArn: z
    .string({ error: 'required: the ARN of the role people assume through Stint' })
    .regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/, { error: 'must be an IAM role ARN (arn:aws:iam::123456789012:role/name)' }),
});

export const awsConfigSchema = z.discriminatedUnion('mode', [identityCenterSchema, iamRoleSchema], { error: 'must be identity-center or iam-role' });

export type IdentityCenterConfig = z.infer<typeof identityCenterSchema>;
export type IamRoleConfig = z.infer<typeof iamRoleSchema>;
export type AwsConfig = z.infer<typeof awsConfigSchema>;

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parseAwsConfig(config: Record<string, unknown>): AwsConfig {
  return parseProviderConfig('aws', awsConfigSchema, config);
}

/** The role's name (last path segment) from its ARN: IAM's own APIs take the name, not the ARN. */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}
