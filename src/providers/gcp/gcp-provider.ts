/**
 * The `gcp` provider (DESIGN.md section 7): a conditional IAM binding of `role` on `resource` for the person's
 * principal (`accounts.gcp`), titled `stint-<request id>`, whose condition `request.time < timestamp(<expiry>)`
 * ends the access on Google's side even if Stint is down. Revoke removes the binding, extend rewrites its
 * condition; every change is a read-modify-write under the policy's etag (Cloud Resource Manager v3).
 */
import { z } from 'zod';
import { StintError } from '../../domain/errors.ts';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { createTokenSources } from './gcp-auth.ts';
import {
  addStintBinding,
  conditionTitle,
  expiryCondition,
  holdsStintBinding,
  hasUnconditional,
  removeStintMember,
  requestIdOfTitle,
  rewriteStintExpiry,
  stintBindingActive,
  type StintBindingRef,
} from './gcp-bindings.ts';
import { memberOf, parseGcpConfig, type GcpConfig } from './gcp-config.ts';
import { editPolicy, getPolicy, type IamCallOptions } from './gcp-iam-client.ts';

export interface GcpProviderOptions {
  /** Where `env:` references and GOOGLE_APPLICATION_CREDENTIALS are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** First backoff delay of a retried call. @defaultValue 250 */
  retryDelayMs?: number;
  /** Timeout of each HTTP call. @defaultValue 30_000 */
  requestTimeoutMs?: number;
  /** The time `check` compares a binding's expiry with. @defaultValue () => new Date() */
  now?: () => Date;
}

const DEFAULTS = { retryDelayMs: 250, requestTimeoutMs: 30_000 };

/** What revoke, extend and check need: where the binding is and whose it is. Ids and names only. */
export type GcpHandle = StintBindingRef & { resource: string; preexisting: boolean };

const handleSchema = z.looseObject({ resource: z.string(), role: z.string(), member: z.string(), title: z.string(), preexisting: z.boolean() });

function parseHandle(handle: GrantHandleData): GcpHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'gcp provider: the stored grant handle is not one this provider wrote');
  return parsed.data;
}

export function createGcpProvider(options: GcpProviderOptions = {}): Provider {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const tokens = createTokenSources(env);

  function api(config: GcpConfig): IamCallOptions {
    return {
      endpoint: config.endpoint,
      tokens: tokens.forCredentials(config.credentials),
      maxAttempts: config.maxAttempts,
      retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    };
  }

  return {
    type: 'gcp',
    validate(config) {
      parseGcpConfig(config);
    },

    async grant(raw, target: GrantTarget) {
      const config = parseGcpConfig(raw);
      const member = memberOf(target.account, target);
      const ref = { role: config.role, member, title: conditionTitle(target.requestId) };
      const handle = (preexisting: boolean): GcpHandle => ({ resource: config.resource, ...ref, preexisting });
      let preexisting = false;
      await editPolicy(api(config), config.resource, (policy) => {
        preexisting = false;
        // A retried grant finds its own binding first: it is Stint's, not preexisting.
        if (holdsStintBinding(policy, ref)) return null;
        if (hasUnconditional(policy, config.role, member)) {
          preexisting = true;
          return null;
        }
        return addStintBinding(policy, ref, expiryCondition(target.requestId, target.expiresAt));
      });
      return handle(preexisting);
    },

    async extend(raw, data, newExpiry) {
      const handle = parseHandle(data);
      // Access held before Stint has no expiry of Stint's to move.
      if (handle.preexisting) return handle;
      const requestId = requestIdOfTitle(handle.title)!;
      await editPolicy(api(parseGcpConfig(raw)), handle.resource, (policy) => {
        const next = rewriteStintExpiry(policy, handle, expiryCondition(requestId, newExpiry));
        if (next === 'absent') {
          throw new StintError('UNAVAILABLE', `GCP: the binding ${handle.title} of ${handle.role} on ${handle.resource} is gone (removed outside Stint); it cannot be extended`);
        }
        return next;
      });
      return handle;
    },

    // `stillNeeded` is not read: each request has its own binding, so another active request's binding keeps
    // the person's access, and leaving this one would let access outlive that request's expiry.
    async revoke(raw, data) {
      const handle = parseHandle(data);
      if (handle.preexisting) return;
      await editPolicy(api(parseGcpConfig(raw)), handle.resource, (policy) => removeStintMember(policy, handle));
    },

    async check(raw, data) {
      const handle = parseHandle(data);
      const policy = await getPolicy(api(parseGcpConfig(raw)), handle.resource);
      const present = handle.preexisting ? hasUnconditional(policy, handle.role, handle.member) : stintBindingActive(policy, handle, now());
      return present ? 'present' : 'absent';
    },

    describe(raw) {
      const config = parseGcpConfig(raw);
      return `Google Cloud IAM: ${config.role} on ${config.resource} (a conditional binding that expires on its own)`;
    },

    async listGranted(raw) {
      const config = parseGcpConfig(raw);
      const policy = await getPolicy(api(config), config.resource);
      return (policy.bindings ?? []).flatMap((binding) => {
        const requestId = requestIdOfTitle(binding.condition?.title);
        if (binding.role !== config.role || !requestId) return [];
        return (binding.members ?? []).map((member) => {
          const handle: GcpHandle = { resource: config.resource, role: binding.role, member, title: binding.condition!.title!, preexisting: false };
          return { requestId, handle };
        });
      });
    },
  };
}
