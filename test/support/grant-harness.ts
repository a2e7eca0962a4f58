/** Grant use-case tests: the core harness plus a provider registry (the no-op provider unless told otherwise). */
import { expect } from 'vitest';
import { activateGrant } from '../../src/core/activate-grant.ts';
import { createRequest } from '../../src/core/create-request.ts';
import type { GrantPorts, Provider } from '../../src/core/ports.ts';
import type { AccessRequest } from '../../src/domain/request.ts';
import { StintError } from '../../src/domain/errors.ts';
import { createNoopProvider, type NoopProvider } from '../../src/providers/noop/noop-provider.ts';
import { coreHarness, person } from './core-harness.ts';

export type GrantHarness = ReturnType<typeof coreHarness> & { noop: NoopProvider; grantPorts: GrantPorts };

/** `postgres` resources of the test policy are served by the no-op provider unless `overrides` says otherwise. */
export function grantHarness(overrides: Record<string, Provider> = {}): GrantHarness {
  const h = coreHarness();
  const noop = createNoopProvider();
  const byType: Record<string, Provider> = { postgres: noop, ...overrides };
  const grantPorts: GrantPorts = {
    ...h.ports,
    providers: {
      get: (type) => {
        const provider = byType[type];
        if (!provider) throw new StintError('POLICY_INVALID', `unknown provider type "${type}"`);
        return provider;
      },
    },
  };
  return { ...h, noop, grantPorts };
}

/** alice's auto-approved request for `dev-api` (APPROVED, not yet active). */
export async function approvedDevRequest(h: GrantHarness, duration = '1h'): Promise<AccessRequest> {
  const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['dev-api'], duration, reason: 'debug' }, h.ports);
  expect(request.status).toBe('APPROVED');
  return request;
}

/** alice's `dev-api` request, activated. */
export async function activeDevRequest(h: GrantHarness, duration = '1h'): Promise<AccessRequest> {
  const request = await approvedDevRequest(h, duration);
  const { status, request: active } = await activateGrant(request.id, h.grantPorts);
  expect(status).toBe('ACTIVE');
  return active!;
}
