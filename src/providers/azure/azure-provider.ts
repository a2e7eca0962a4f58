/**
 * The `azure` provider (DESIGN.md section 7): an Azure RBAC role at an ARM scope for the person's Entra object
 * id (`accounts.azure`), either as a plain role assignment (`mode: assignment`, deleted on revoke) or as a
 * PIM schedule that ends by itself at the expiry (`mode: pim-schedule`). Calls go through `arm-session.ts`.
 */
import { z } from 'zod';
import type { GrantHandleData, GrantTarget, Provider } from '../../core/ports.ts';
import { StintError } from '../../domain/errors.ts';
import { createSessionCache, type ArmSessionOptions } from './arm-session.ts';
import { GUID_PATTERN, parseAzureConfig, roleDefinitionIdOf, type AzureConfig, type Grantee } from './azure-config.ts';
import { checkPim, extendPim, grantPim, listStintSchedules, revokePim, type PimHandle } from './pim-schedule.ts';
import { checkAssignment, grantAssignment, listStintAssignments, revokeAssignment, type AssignmentHandle } from './role-assignment.ts';

export interface AzureProviderOptions extends Partial<ArmSessionOptions> {
  /** Where `env:` references are read. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** For PIM start times and "active now". @defaultValue () => new Date() */
  now?: () => Date;
}

const DEFAULTS = { retryDelayMs: 500, maxRetryDelayMs: 30_000, callTimeoutMs: 30_000 };

// Handles come back from the store as JSON: checked at this edge, trusted inside.
const common = { scope: z.string(), roleDefinitionId: z.string(), principalId: z.string(), preexisting: z.boolean() };
const handleSchema = z.discriminatedUnion('mode', [
  z.looseObject({ mode: z.literal('assignment'), name: z.string(), ...common }),
  z.looseObject({ mode: z.literal('pim-schedule'), requestName: z.string(), ...common }),
]);

function parseHandle(handle: GrantHandleData): AssignmentHandle | PimHandle {
  const parsed = handleSchema.safeParse(handle);
  if (!parsed.success) throw new StintError('INTERNAL', 'azure provider: the stored grant handle is not one this provider wrote');
  return parsed.data as AssignmentHandle | PimHandle;
}

function granteeOf(config: AzureConfig, target: GrantTarget): Grantee {
  const account = target.account;
  if (!account) {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: ${target.principalId} has no Azure principal; add accounts.azure (their Entra object id) for them in the policy`);
  }
  if (!GUID_PATTERN.test(account)) {
    throw new StintError('POLICY_INVALID', `resource ${target.resourceId}: accounts.azure of ${target.principalId} must be their Entra object id (a GUID such as 00000000-0000-0000-0000-000000000000), not a name or email`);
  }
  return { scope: config.scope, roleDefinitionId: roleDefinitionIdOf(config), principalId: account.toLowerCase(), principalType: config.principalType };
}

export function createAzureProvider(options: AzureProviderOptions = {}): Provider {
  const now = options.now ?? (() => new Date());
  const sessionFor = createSessionCache({ ...DEFAULTS, ...options, env: options.env ?? process.env });

  return {
    type: 'azure',
    validate(config) {
      parseAzureConfig(config);
    },
    async grant(raw, target) {
      const config = parseAzureConfig(raw);
      const grantee = granteeOf(config, target);
      const session = await sessionFor(config);
      return config.mode === 'pim-schedule' ? grantPim(session, grantee, target, now()) : grantAssignment(session, grantee, target);
    },
    async extend(raw, data, newExpiry) {
      const handle = parseHandle(data);
      // A plain role assignment has no native expiry: only Stint's timer ends it.
      if (handle.mode === 'assignment') return handle;
      return extendPim(await sessionFor(parseAzureConfig(raw)), handle, newExpiry);
    },
    async revoke(raw, data, { stillNeeded }) {
      const handle = parseHandle(data);
      const session = await sessionFor(parseAzureConfig(raw));
      return handle.mode === 'assignment' ? revokeAssignment(session, handle, stillNeeded) : revokePim(session, handle, stillNeeded);
    },
    async check(raw, data) {
      const handle = parseHandle(data);
      const session = await sessionFor(parseAzureConfig(raw));
      return handle.mode === 'assignment' ? checkAssignment(session, handle) : checkPim(session, handle, now());
    },
    async listGranted(raw) {
      const config = parseAzureConfig(raw);
      const session = await sessionFor(config);
      const role = roleDefinitionIdOf(config);
      return config.mode === 'pim-schedule' ? listStintSchedules(session, config.scope, role, now()) : listStintAssignments(session, config.scope, role);
    },
    describe(raw) {
      const config = parseAzureConfig(raw);
      const role = config.roleDefinitionId.split('/').at(-1);
      const how = config.mode === 'pim-schedule' ? 'time-bound PIM assignment' : 'role assignment';
      return `Azure: ${how} of role ${role} at ${config.scope}`;
    },
  };
}
