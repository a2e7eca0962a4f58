/** Shared set-up of the webhook provider tests: a fake receiver, a provider with fast retries, and a config. */
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createWebhookProvider } from '../../../src/providers/webhook/webhook-provider.ts';
import { startWebhookReceiver, type WebhookReceiver, type WebhookReceiverOptions } from '../../fakes/webhook-receiver.ts';

export const SECRET = 'whsec_test_3f9c2a71b8d04e56';

export interface WebhookRig {
  receiver: WebhookReceiver;
  provider: Provider;
  /** Delays the provider waited between attempts. */
  sleeps: number[];
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  env: Record<string, string>;
}

let counter = 0;

export async function webhookRig(options: Partial<WebhookReceiverOptions> = {}, env: Record<string, string> = {}): Promise<WebhookRig> {
  const receiver = await startWebhookReceiver({ secret: SECRET, ...options });
  const sleeps: number[] = [];
  const fullEnv = { HOOK_SECRET: SECRET, ...env };
  const provider = createWebhookProvider({
    env: fullEnv,
    retryBaseMs: 2,
    retryMaxMs: 50,
    version: '0.0.0-test',
    sleep: async (ms) => {
      sleeps.push(ms);
      await new Promise((resolve) => setTimeout(resolve, Math.min(ms, 5)));
    },
  });
  return {
    receiver,
    provider,
    sleeps,
    env: fullEnv,
    config: (extra = {}) => ({ type: 'webhook', mode: 'membership', url: receiver.url, secret: 'env:HOOK_SECRET', timeoutSec: 1, ...extra }),
  };
}

export function target(overrides: Partial<GrantTarget> = {}): GrantTarget {
  counter++;
  return {
    requestId: `01JREQ${String(counter).padStart(6, '0')}`,
    resourceId: 'billing-app',
    principalId: 'alice',
    account: 'alice@corp',
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  };
}
