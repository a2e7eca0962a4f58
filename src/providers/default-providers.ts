/** The providers this build ships, as the composition root registers them. More types arrive with their issues. */
import type { Provider } from '../core/ports.ts';
import { createTokenProvider, type TokenProviderOptions } from './token/token-provider.ts';
import { createAwsProvider } from './aws/aws-provider.ts';
import { createAzureProvider } from './azure/azure-provider.ts';
import { createGcpProvider } from './gcp/gcp-provider.ts';
import { createKubernetesProvider } from './kubernetes/kubernetes-provider.ts';
import * as directoryAccounts from './ldap/directory-accounts.ts';
import { createLdapProvider } from './ldap/ldap-provider.ts';
import { createLinuxProvider } from './linux/linux-provider.ts';
import { createPostgresProvider } from './postgres/postgres-provider.ts';
import { createWebhookProvider } from './webhook/webhook-provider.ts';

/** `token`: its credential store where one is open (the app); without it (`stint policy check`) it only validates. */
export function defaultProviders(env: Record<string, string | undefined> = process.env, token: TokenProviderOptions = {}): Provider[] {
  return [
    createPostgresProvider({ env }),
    createAwsProvider({ env }),
    createAzureProvider({ env }),
    createGcpProvider({ env }),
    createKubernetesProvider({ env }),
    // linux domain accounts live in the directory of an ldap resource (jit.directory)
    createLinuxProvider({ env, directory: directoryAccounts }),
    createLdapProvider({ env }),
    createWebhookProvider({ env }),
    createTokenProvider(token),
  ];
}
