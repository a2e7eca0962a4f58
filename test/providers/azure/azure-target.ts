/** Test wiring for the azure provider: the HTTPS fake, a provider that trusts its certificate, configs and targets. */
import { randomUUID } from 'node:crypto';
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createAzureProvider } from '../../../src/providers/azure/azure-provider.ts';
import { startFakeAzure, type FakeAzure } from '../../fakes/azure-arm.ts';

export const READER_ROLE = 'acdd72a7-3385-48ef-bd42-f606fba81ae7';
export const SECRET_ENV = 'STINT_TEST_AZURE_SECRET';

export interface AzureTarget {
  fake: FakeAzure;
  provider: Provider;
  scope: string;
  config(mode?: 'assignment' | 'pim-schedule', extra?: Record<string, unknown>): Record<string, unknown>;
  /** A new principal the fake knows (an Entra object id). */
  newPrincipal(): string;
  target(account: string | undefined, requestId?: string): GrantTarget;
  close(): Promise<void>;
}

export async function openAzureTarget(options: { retryDelayMs?: number; maxRetryDelayMs?: number } = {}): Promise<AzureTarget> {
  const fake = await startFakeAzure();
  fake.roles.add(READER_ROLE);
  const env = { [SECRET_ENV]: fake.entra.clientSecret };
  const provider = createAzureProvider({ env, trustedCa: fake.ca, retryDelayMs: options.retryDelayMs ?? 5, maxRetryDelayMs: options.maxRetryDelayMs ?? 20, callTimeoutMs: 10_000 });
  const scope = `/subscriptions/${fake.subscriptionId}/resourceGroups/rg-orders`;
  return {
    fake,
    provider,
    scope,
    config: (mode = 'assignment', extra = {}) => ({
      type: 'azure',
      mode,
      scope,
      roleDefinitionId: READER_ROLE,
      tenantId: fake.entra.tenantId,
      clientId: fake.entra.clientId,
      clientSecret: `env:${SECRET_ENV}`,
      endpoint: fake.url,
      authorityHost: fake.url,
      audience: 'https://management.azure.com',
      ...extra,
    }),
    newPrincipal() {
      const id = randomUUID();
      fake.principals.add(id);
      return id;
    },
    target: (account, requestId = `req-${randomUUID()}`) => ({ requestId, resourceId: 'orders-reader', principalId: 'alice', account, expiresAt: new Date(Date.now() + 3600_000) }),
    close: () => fake.close(),
  };
}
