/**
 * The `provider:` block of a kubernetes resource, validated with zod at policy load, and the names Stint
 * derives from a grant target (binding name, labels, annotations): deterministic, so a retried grant finds
 * the binding it already made.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseProviderConfig } from '../provider-config.ts';
import { isSecretRef } from '../secrets.ts';

/** A DNS-1123 label (namespaces): lowercase alphanumerics and '-', at most 63 characters. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** An RBAC object name as the API server accepts it (no '/', '%', not '.' or '..'). */
const RBAC_NAME = /^(?!\.{1,2}$)[^/%]{1,253}$/;
/** A valid label value: at most 63 characters, alphanumeric at both ends, '-', '_', '.' inside. */
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'stint';
export const REQUEST_LABEL = 'stint.dev/request';
export const EXPIRES_ANNOTATION = 'stint.dev/expires-at';
export const RESOURCE_ANNOTATION = 'stint.dev/resource';
export const PRINCIPAL_ANNOTATION = 'stint.dev/principal';

export const kubernetesConfigSchema = z
  .strictObject({
    type: z.literal('kubernetes'),
    // The policy loader fills `mode: membership` into every provider block; a binding per grant is that mode.
    mode: z.literal('membership', { error: 'must be membership (the only kubernetes mode: a binding per grant)' }).optional(),
    /** @defaultValue in-cluster service account when running in a pod, else the default kubeconfig */
    kubeconfig: z
      .string()
      .refine(isSecretRef, { error: 'must be env:NAME or file:/path holding kubeconfig YAML; inline kubeconfigs are refused' })
      .optional(),
    /** A context of that kubeconfig. @defaultValue its current-context */
    context: z.string().min(1).optional(),
    /** Where the RoleBinding is made; absent → a ClusterRoleBinding. */
    namespace: z.string().regex(DNS_LABEL, { error: 'must be a namespace name (DNS-1123 label: a-z, 0-9, -; at most 63)' }).optional(),
    roleRef: z.strictObject(
      {
        kind: z.enum(['ClusterRole', 'Role'], { error: 'must be ClusterRole or Role' }),
        name: z.string({ error: 'required: the role to bind' }).regex(RBAC_NAME, { error: 'must be a role name (no / or %)' }),
      },
      { error: 'required: { kind: ClusterRole | Role, name }' },
    ),
    subjectKind: z.enum(['User', 'Group'], { error: 'must be User or Group' }).default('User'),
    /** Attempts per API call on 429/5xx/network errors. @defaultValue 5 */
    maxAttempts: z.number().int().min(1).max(10).optional(),
  })
  .superRefine((config, ctx) => {
    // A Role lives in one namespace: only a RoleBinding of that namespace can reference it.
    if (config.roleRef.kind === 'Role' && config.namespace === undefined) {
      ctx.addIssue({ code: 'custom', path: ['namespace'], message: 'required when roleRef.kind is Role (a Role can only be bound in its own namespace)' });
    }
  });

export type KubernetesConfig = z.infer<typeof kubernetesConfigSchema>;

/** Parses a resource's provider block; throws POLICY_INVALID naming every bad field (values never echoed). */
export function parseKubernetesConfig(config: Record<string, unknown>): KubernetesConfig {
  return parseProviderConfig('kubernetes', kubernetesConfigSchema, config);
}

/**
 * `stint-<request id>-<8 hex of the resource id>`: lowercased, every character outside [a-z0-9-] turned
 * into '-', so a DNS-1123 subdomain. The resource suffix keeps two kubernetes scopes of one request apart.
 */
export function bindingName(requestId: string, resourceId: string): string {
  const id = requestId.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '').slice(0, 200);
  const suffix = createHash('sha256').update(resourceId).digest('hex').slice(0, 8);
  return `stint-${id || 'request'}-${suffix}`;
}

/** The request id as a label value; Stint's ids (`jit_<ULID>`) always are one, anything else is refused. */
export function requestLabelValue(requestId: string): string {
  if (requestId.length > 63 || !LABEL_VALUE.test(requestId) || requestId === '') {
    throw new Error(`kubernetes provider: request id ${JSON.stringify(requestId.slice(0, 80))} cannot be a label value`);
  }
  return requestId;
}
