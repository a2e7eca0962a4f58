/**
 * One GCP contract fake plus a service-account key it trusts (written to a temp file, `token_uri` pointing at the
 * fake), and a gcp provider with millisecond backoff, for one test file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createGcpProvider, type GcpProviderOptions } from '../../../src/providers/gcp/gcp-provider.ts';
import { startGcpFake, type GcpFake } from '../../fakes/gcp-iam.ts';
import { generateServiceAccountKey, writeKeyFile, type ServiceAccountKeyPair } from '../../fakes/gcp-token.ts';

export const PROJECT = 'projects/stint-test-1';
export const ROLE = 'roles/storage.objectViewer';
export const ALICE = 'user:alice@example.com';

export interface GcpTarget {
  fake: GcpFake;
  key: ServiceAccountKeyPair;
  keyPath: string;
  dir: string;
  provider: Provider;
  /** A provider with other options (another clock, env). */
  providerWith(options: GcpProviderOptions): Provider;
  config(extra?: Record<string, unknown>): Record<string, unknown>;
  target(extra?: Partial<GrantTarget>): GrantTarget;
  close(): Promise<void>;
}

export const inOneHour = () => new Date(Date.now() + 3_600_000);

export async function openGcpTarget(): Promise<GcpTarget> {
  const fake = await startGcpFake();
  const dir = mkdtempSync(join(tmpdir(), 'stint-gcp-'));
  const key = generateServiceAccountKey('stint@stint-admin.iam.gserviceaccount.com', fake.tokenUrl);
  fake.trustKey(key.clientEmail, key.publicKey);
  const keyPath = writeKeyFile(dir, key);
  fake.seed(PROJECT);
  const providerWith = (options: GcpProviderOptions) => createGcpProvider({ retryDelayMs: 1, env: {}, ...options });
  return {
    fake,
    key,
    keyPath,
    dir,
    provider: providerWith({}),
    providerWith,
    config: (extra = {}) => ({ type: 'gcp', resource: PROJECT, role: ROLE, credentials: `file:${keyPath}`, endpoint: fake.url, ...extra }),
    target: (extra = {}) => ({ requestId: ulid(), resourceId: 'gcp-storage', principalId: 'alice', account: 'alice@example.com', expiresAt: inOneHour(), ...extra }),
    async close() {
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
