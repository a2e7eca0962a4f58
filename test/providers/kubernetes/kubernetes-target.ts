/** The kubernetes provider against the fake API server: a started fake, the provider with short retry delays, configs and targets. */
import type { GrantTarget, Provider } from '../../../src/core/ports.ts';
import { createKubernetesProvider } from '../../../src/providers/kubernetes/kubernetes-provider.ts';
import { FakeKubernetesApi } from '../../fakes/kubernetes-api.ts';

export interface KubernetesTarget {
  fake: FakeKubernetesApi;
  provider: Provider;
  /** A resource block bound in `namespace` (RoleBinding), or cluster-wide without one. */
  config(overrides?: Record<string, unknown>): Record<string, unknown>;
  target(overrides?: Partial<GrantTarget>): GrantTarget;
  close(): Promise<void>;
}

export const KUBECONFIG_ENV = 'STINT_TEST_KUBECONFIG';

let requests = 0;

/** A request id like Stint's (`jit_<ULID>`), unique per call. */
export function requestId(): string {
  requests++;
  return `jit_01J${String(Date.now()).slice(-8)}${String(requests).padStart(5, '0')}ABCDEFGHJK`.slice(0, 30);
}

export async function openKubernetesTarget(): Promise<KubernetesTarget> {
  const fake = await new FakeKubernetesApi().start();
  const env = { [KUBECONFIG_ENV]: fake.kubeconfig() };
  const provider = createKubernetesProvider({ env, baseDelayMs: 1, maxDelayMs: 20, timeoutMs: 2_000 });
  return {
    fake,
    provider,
    config: (overrides = {}) => ({
      type: 'kubernetes',
      kubeconfig: `env:${KUBECONFIG_ENV}`,
      namespace: 'team-a',
      roleRef: { kind: 'ClusterRole', name: 'edit' },
      ...overrides,
    }),
    target: (overrides = {}) => ({
      requestId: requestId(),
      resourceId: 'k8s-team-a',
      principalId: 'alice',
      account: 'alice@example.com',
      expiresAt: new Date(Date.now() + 3600_000),
      ...overrides,
    }),
    close: () => fake.stop(),
  };
}
