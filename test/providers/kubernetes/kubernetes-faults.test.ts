import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { activateGrant } from '../../../src/core/activate-grant.ts';
import { createRequest } from '../../../src/core/create-request.ts';
import type { GrantPorts } from '../../../src/core/ports.ts';
import { sweepOrphans } from '../../../src/core/sweep-orphans.ts';
import { StintError } from '../../../src/domain/errors.ts';
import { createKubernetesProvider } from '../../../src/providers/kubernetes/kubernetes-provider.ts';
import { coreHarness, person } from '../../support/core-harness.ts';
import { KUBECONFIG_ENV, openKubernetesTarget, type KubernetesTarget } from './kubernetes-target.ts';

describe('kubernetes provider when the API server throttles, fails or refuses', () => {
  let t: KubernetesTarget;
  let accounts = 0;
  const account = () => `faulty${accounts++}@example.com`;
  const callsSince = (n: number) => t.fake.calls.slice(n);

  beforeAll(async () => {
    t = await openKubernetesTarget();
  });
  afterAll(async () => {
    await t?.close();
  });
  afterEach(() => {
    expect(t.fake.rejections).toEqual([]);
  });

  it('retries a throttled create (429 with Retry-After) and succeeds', async () => {
    t.fake.inject({ status: 429, verb: 'create', retryAfter: 0 }, 2);
    const start = t.fake.calls.length;
    const handle = await t.provider.grant(t.config(), t.target({ account: account() }));
    expect(await t.provider.check(t.config(), handle)).toBe('present');
    expect(callsSince(start).filter((c) => c.verb === 'create').map((c) => c.status)).toEqual([429, 429, 201]);
  });

  it('waits the Retry-After the API server asks for (within maxDelayMs)', async () => {
    const provider = createKubernetesProvider({ env: { [KUBECONFIG_ENV]: t.fake.kubeconfig() }, baseDelayMs: 1, maxDelayMs: 2_000 });
    t.fake.inject({ status: 429, verb: 'get', retryAfter: 1 });
    const started = Date.now();
    await provider.grant(t.config(), t.target({ account: account() }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('retries server errors on every verb, including a create whose reply was lost after it took effect', async () => {
    t.fake.inject({ status: 500, verb: 'create', afterEffect: true });
    t.fake.inject({ status: 503, verb: 'get' });
    t.fake.inject({ status: 500, verb: 'list' });
    const target = t.target({ account: account() });
    const handle = await t.provider.grant(t.config(), target);
    expect(handle.preexisting).toBe(false);
    expect(t.fake.all('rolebindings', 'team-a').filter((b) => (b.metadata as { labels?: Record<string, string> }).labels?.['stint.dev/request'] === target.requestId)).toHaveLength(1);
    t.fake.inject({ status: 500, verb: 'delete', afterEffect: true });
    await t.provider.revoke(t.config(), handle, { stillNeeded: false });
    expect(await t.provider.check(t.config(), handle)).toBe('absent');
  });

  it('gives up after maxAttempts on a server that keeps failing, saying it will be retried', async () => {
    t.fake.inject({ status: 500, verb: 'get' }, 3);
    const start = t.fake.calls.length;
    await expect(t.provider.grant(t.config({ maxAttempts: 3 }), t.target({ account: account() }))).rejects.toThrow(/still failed after 3 attempts \(HTTP 500\)/);
    expect(callsSince(start)).toHaveLength(3);
  });

  it('fails at once on 403, naming the verb and resource Stint lacks', async () => {
    t.fake.deny({ verb: 'create', resource: 'rolebindings' });
    const start = t.fake.calls.length;
    const err = await t.provider.grant(t.config(), t.target({ account: account() })).catch((e: unknown) => e as Error);
    t.fake.allow();
    expect(err.message).toMatch(/Forbidden: Stint's service account may not create rolebindings .* in namespace team-a/);
    expect(callsSince(start).filter((c) => c.verb === 'create')).toHaveLength(1);
  });

  it('aborts a call the API server leaves hanging after the timeout, and retries it', async () => {
    const provider = createKubernetesProvider({ env: { [KUBECONFIG_ENV]: t.fake.kubeconfig() }, baseDelayMs: 1, timeoutMs: 150 });
    t.fake.inject({ status: 'stall', stallMs: 1_000, verb: 'create' });
    const started = Date.now();
    const handle = await provider.grant(t.config(), t.target({ account: account() }));
    expect(Date.now() - started).toBeLessThan(900);
    expect(await t.provider.check(t.config(), handle)).toBe('present');
  });

  it('fails at once when the namespace does not exist, saying to check it', async () => {
    t.fake.namespaces = new Set(['team-a']);
    const start = t.fake.calls.length;
    const err = await t.provider.grant(t.config({ namespace: 'team-x' }), t.target({ account: account() })).catch((e: unknown) => e as Error);
    t.fake.namespaces = undefined;
    expect(err.message).toMatch(/create rolebindings .* in namespace team-x: not found \(404\); check the namespace/);
    expect(callsSince(start).filter((c) => c.verb === 'create')).toHaveLength(1);
  });

  it('retries when the API server does not answer, then reports it', async () => {
    const provider = createKubernetesProvider({ env: { KC: t.fake.kubeconfig().replace(t.fake.url, 'http://127.0.0.1:1') }, baseDelayMs: 1, maxDelayMs: 5 });
    await expect(provider.grant(t.config({ kubeconfig: 'env:KC', maxAttempts: 2 }), t.target({ account: account() }))).rejects.toThrow(/no answer from the API server after 2 attempts/);
  });
});

const POLICY = `version: 1
people:
  - { id: alice, email: alice@example.com, groups: [sre], accounts: { kubernetes: alice@example.com } }
timezone: UTC
resources:
  - id: k8s-team-a
    provider: { type: kubernetes, kubeconfig: "env:${KUBECONFIG_ENV}", namespace: team-a, roleRef: { kind: ClusterRole, name: edit } }
    maxDuration: 4h
    workflow: auto
workflows:
  auto:
    eligible: [group:sre]
    autoApprove:
      conditions:
        - { type: DURATION, operator: LESS_THAN, value: 2h }
`;

describe('kubernetes provider through activateGrant', () => {
  let t: KubernetesTarget;

  beforeAll(async () => {
    t = await openKubernetesTarget();
  });
  afterAll(async () => {
    await t?.close();
  });

  function harness() {
    const h = coreHarness(POLICY);
    const grantPorts: GrantPorts = {
      ...h.ports,
      providers: {
        get: (type) => {
          if (type !== 'kubernetes') throw new StintError('POLICY_INVALID', `unknown provider type "${type}"`);
          return t.provider;
        },
      },
    };
    return { ...h, grantPorts };
  }

  async function approved(h: ReturnType<typeof harness>) {
    const { request } = await createRequest(person('alice'), { identityId: 'alice', scopes: ['k8s-team-a'], duration: '1h', reason: 'deploy fix' }, h.ports);
    expect(request.status).toBe('APPROVED');
    return request;
  }

  it('activates: the binding carries the request id and the expiry Stint set', async () => {
    const h = harness();
    const request = await approved(h);
    const result = await activateGrant(request.id, h.grantPorts);
    expect(result.status).toBe('ACTIVE');
    const [binding] = t.fake.all('rolebindings', 'team-a').filter((b) => (b.metadata as { labels: Record<string, string> }).labels['stint.dev/request'] === request.id);
    expect((binding!.metadata as { annotations: Record<string, string> }).annotations['stint.dev/expires-at']).toBe(result.request!.expiresAt!.toISOString());
  });

  it('ends GRANT_FAILED on a permanent 403: audited as grant.failed with the reason, the requester told, nothing left bound', async () => {
    const h = harness();
    const request = await approved(h);
    t.fake.deny({ verb: 'create' });
    const result = await activateGrant(request.id, h.grantPorts);
    t.fake.allow();
    expect(result.status).toBe('GRANT_FAILED');
    const failed = h.store.state.audit.find((e) => e.action === 'grant.failed');
    expect(String(failed?.data?.reason)).toMatch(/Forbidden: Stint's service account may not create rolebindings/);
    expect(String(failed?.data?.reason)).not.toContain(t.fake.token);
    const told = h.notifier.sent.find((n) => n.kind === 'grant.failed');
    expect(told?.request.requesterId).toBe('alice');
    expect(t.fake.all('rolebindings', 'team-a').filter((b) => (b.metadata as { labels?: Record<string, string> }).labels?.['stint.dev/request'] === request.id)).toEqual([]);
  });

  it('orphan sweep (the reconciler\'s): a labelled binding whose request is not in flight is deleted and audited, the ACTIVE one stays', async () => {
    const h = harness();
    const active = await approved(h);
    expect((await activateGrant(active.id, h.grantPorts)).status).toBe('ACTIVE');
    // Left behind by a crash: Stint's binding for a request the store does not hold as ACTIVE.
    await t.provider.grant(t.config(), t.target({ requestId: 'jit_01JORPHAN0000000000000000', account: 'alice@example.com', resourceId: 'k8s-team-a' }));
    const swept = await sweepOrphans(h.grantPorts);
    // (Bindings of earlier tests' requests, unknown to this harness's store, are swept too.)
    expect(swept.errors).toEqual([]);
    expect(swept.removed).toContainEqual({ key: 'jit_01JORPHAN0000000000000000/k8s-team-a', fixed: true });
    expect(swept.removed.map((r) => r.key)).not.toContain(`${active.id}/k8s-team-a`);
    expect(h.store.state.audit).toContainEqual(
      expect.objectContaining({ action: 'grant.drift', requestId: null, data: expect.objectContaining({ orphan: true, requestId: 'jit_01JORPHAN0000000000000000' }) }),
    );
    const left = (await t.provider.listGranted!(t.config())).map((g) => g.requestId);
    expect(left).toContain(active.id);
    expect(left).not.toContain('jit_01JORPHAN0000000000000000');
  });
});
